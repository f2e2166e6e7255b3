#!/usr/bin/python3
"""PyTorch reference for 2-d lattice phi^4 with checkerboard affine-coupling flows
(RealNVP-style), used to compare training speed and sample quality with normflow-go.

Written from the math in docs/conventions.md (sections 2, 5, 6), not from the normflow
package or any other implementation.

Model
    lattice: L x L, periodic; field phi of shape (batch, L, L)
    prior  : z ~ N(0, 1) per site
    flow   : N affine coupling layers with a checkerboard mask; parity(x, y) = (x + y) mod 2,
             layer k updates the sites of parity k mod 2 ("active") given the others.
             Conditioner: the frozen half (active sites zeroed) as 1 input channel through
             nn.Conv2d(kernel k, padding_mode='circular') layers with the hidden channel
             list, an activation after each hidden conv, and 2 output channels (s, t):
                 y_active = x_active * exp(s) + t,   logJ = sum_active s
             with --affine tanh     : s = tanh(s_raw), t = t_raw          (default)
                  --affine seed     : s = -|s_raw|,    t = t_raw          (contraction only)
                  --affine tutorial : s = tanh(s_raw), t = tanh(t_raw)
             Outputs on the frozen sites are discarded (zeroed), so frozen sites pass
             through exactly.  --padding cat does the same periodic padding with torch.cat
             (same map, ~20% faster in torch 1.13; see CatCircularConv2d).
    action : phi^4 on the lattice, one of
             seed        S = sum_x [ (kappa/2) sum_mu (phi(x+mu) - phi(x))^2
                                     + (m^2/2) phi^2 + lambda phi^4 ]
             albergo2019 S = sum_x [ sum_mu (phi(x+mu) - phi(x))^2 + m^2 phi^2 + lambda phi^4 ]
             both evaluated as sum_x [ w2 phi^2 + w4 phi^4 - w0 sum_mu phi(x) phi(x+mu) ].

Training: reverse KL, loss = mean(log q(phi) + S(phi)), AdamW, optional cosine schedule.
    --gradient plain : the standard reparameterised gradient of the loss (backprop through
                       the sampling); the default for --bench.
    --gradient path  : path gradient: g = grad_phi[log q_theta(phi) + S(phi)] at frozen theta,
                       log q from the inverse flow; surrogate mean(g . phi) backpropagated
                       through the forward flow only (drops the zero-mean score term).

Modes
    --bench      one training step of RealNVP-8 (8 layers, hidden [16, 16], tanh): median
                 ms over --bench-steps steps after --bench-warmup; prints one JSON line.
    --train      train, progress in the seed format, then ESS and independence-Metropolis
                 acceptance on fresh samples; presets --preset phi4_2d_affine | tutorial.
    --selftest   inverse(forward) = identity, logJ against autograd's full Jacobian
                 log-det (4x4 lattice), action conventions, path vs plain gradient.
    --hmc        no flow: HMC reference value of chi2 = V<M^2> for the chosen action
                 (many independent chains in parallel, float64).

Run with Debian's torch:  /usr/bin/python3 bench/realnvp.py --selftest
                          /usr/bin/python3 bench/realnvp.py --bench --L 8 --batch 128 --threads 1
                          /usr/bin/python3 bench/realnvp.py --preset phi4_2d_affine --threads 1
"""

import argparse
import json
import math
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from seed_1site import ess_of, fmt_value_error, imh_acceptance

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# ---------------------------------------------------------------------------
# Action
# ---------------------------------------------------------------------------

class Phi4Action:
    """S = sum_x [w2 phi^2 + w4 phi^4 - w0 sum_mu phi(x) phi(x+mu)] on (B, L, L)."""

    def __init__(self, convention, kappa=None, m_sq=None, lambd=None):
        d = 2
        self.convention = convention
        if convention == "seed":
            self.w0 = kappa
            self.w2 = 0.5 * (m_sq + 2 * d * kappa)
            self.w4 = lambd
        elif convention == "albergo2019":
            # sum_x sum_mu (phi(x+mu) - phi(x))^2 = sum_x [2d phi^2 - 2 sum_mu phi phi(x+mu)]
            self.w0 = 2.0
            self.w2 = 2.0 * d + m_sq
            self.w4 = lambd
        else:
            raise ValueError(convention)
        self.kappa, self.m_sq, self.lambd = kappa, m_sq, lambd

    def __call__(self, phi):
        p2 = phi * phi
        hop = phi * (torch.roll(phi, 1, dims=1) + torch.roll(phi, 1, dims=2))
        return (self.w2 * p2 + self.w4 * p2 * p2 - self.w0 * hop).sum(dim=(1, 2))

    def force(self, phi):
        """dS/dphi (analytic; checked against autograd by the self-test)."""
        nb = sum(torch.roll(phi, sh, dims=mu) for mu in (1, 2) for sh in (1, -1))
        return 2.0 * self.w2 * phi + 4.0 * self.w4 * phi ** 3 - self.w0 * nb

    def direct(self, phi):
        """The textbook form with the neighbour differences (used by the self-test)."""
        kin = sum((torch.roll(phi, -1, dims=mu) - phi) ** 2 for mu in (1, 2))
        p2 = phi * phi
        if self.convention == "seed":
            dens = 0.5 * self.kappa * kin + 0.5 * self.m_sq * p2 + self.lambd * p2 * p2
        else:
            dens = kin + self.m_sq * p2 + self.lambd * p2 * p2
        return dens.sum(dim=(1, 2))


def log_prior(z):
    return (-0.5 * z * z - HALF_LOG_2PI).sum(dim=(1, 2))


# ---------------------------------------------------------------------------
# Flow
# ---------------------------------------------------------------------------

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
               "softplus": nn.Softplus}


class CatCircularConv2d(nn.Conv2d):
    """nn.Conv2d with periodic padding done by torch.cat of the wrapped edges and an
    unpadded convolution: the same map as padding_mode='circular' (checked by the
    self-test), but torch 1.13's circular padding goes through slice copies
    (CopySlices / slice_backward) that cost ~20% of a RealNVP step."""

    def __init__(self, cin, cout, kernel):
        super().__init__(cin, cout, kernel, padding=0)
        self.p = kernel // 2

    def forward(self, x):
        p = self.p
        if p:
            x = torch.cat([x[..., -p:, :], x, x[..., :p, :]], dim=-2)
            x = torch.cat([x[..., -p:], x, x[..., :p]], dim=-1)
        return nn.functional.conv2d(x, self.weight, self.bias)


def conv_net(hidden, kernel, activation, padding="module"):
    sizes = [1] + list(hidden) + [2]
    mods = []
    for i in range(len(sizes) - 1):
        if padding == "module":
            mods.append(nn.Conv2d(sizes[i], sizes[i + 1], kernel, padding=kernel // 2,
                                  padding_mode="circular"))
        else:
            mods.append(CatCircularConv2d(sizes[i], sizes[i + 1], kernel))
        if i < len(sizes) - 2:
            mods.append(ACTIVATIONS[activation]())
    return nn.Sequential(*mods)


class AffineCoupling(nn.Module):
    def __init__(self, L, parity, hidden, kernel, activation, affine, padding="module"):
        super().__init__()
        ii, jj = torch.meshgrid(torch.arange(L), torch.arange(L), indexing="ij")
        active = ((ii + jj) % 2 == parity).to(torch.get_default_dtype())
        self.register_buffer("active", active)          # (L, L), 1 on updated sites
        self.register_buffer("frozen", 1.0 - active)
        self.net = conv_net(hidden, kernel, activation, padding)
        self.affine = affine

    def _st(self, x_frozen):
        out = self.net(x_frozen.unsqueeze(1))
        s_raw, t_raw = out[:, 0], out[:, 1]
        if self.affine == "seed":
            s = -s_raw.abs()
        else:
            s = torch.tanh(s_raw)
        t = torch.tanh(t_raw) if self.affine == "tutorial" else t_raw
        return s * self.active, t * self.active          # zero on frozen sites

    def forward(self, x):
        s, t = self._st(x * self.frozen)
        return x * torch.exp(s) + t, s.sum(dim=(1, 2))

    def inverse(self, y):
        s, t = self._st(y * self.frozen)
        return (y - t) * torch.exp(-s), -s.sum(dim=(1, 2))


class Flow(nn.Module):
    def __init__(self, L, layers, hidden, kernel, activation, affine, padding="module"):
        super().__init__()
        self.layers = nn.ModuleList(
            AffineCoupling(L, k % 2, hidden, kernel, activation, affine, padding)
            for k in range(layers))

    def forward(self, x):
        logj = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, lj = layer(x)
            logj = logj + lj
        return x, logj

    def inverse(self, y):
        logj = y.new_zeros(y.shape[0])
        for layer in reversed(self.layers):
            y, lj = layer.inverse(y)
            logj = logj + lj
        return y, logj


def sample(flow, n, L, dtype):
    z = torch.randn(n, L, L, dtype=dtype)
    phi, logj = flow(z)
    return phi, log_prior(z) - logj


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

def train_step(flow, opt, action, batch, L, dtype, path):
    """One optimiser step; returns (loss, logq, S) of the batch (detached).
    A batch whose loss is not finite is reported and no step is taken."""
    opt.zero_grad(set_to_none=True)
    phi, logq = sample(flow, batch, L, dtype)
    s_act = action(phi)
    loss = (logq + s_act).mean()
    if not torch.isfinite(loss):
        return loss.detach(), logq.detach(), s_act.detach(), False
    if path:
        params = list(flow.parameters())
        for p in params:
            p.requires_grad_(False)
        try:
            ph = phi.detach().requires_grad_()
            zz, logj_inv = flow.inverse(ph)
            obj = (log_prior(zz) + logj_inv + action(ph)).sum()
            (g,) = torch.autograd.grad(obj, ph)
        finally:
            for p in params:
                p.requires_grad_(True)
        ((g * phi).sum() / batch).backward()
    else:
        loss.backward()
    opt.step()
    return loss.detach(), logq.detach(), s_act.detach(), True


def progress(epoch, loss, logq, s_act):
    logp = -s_act.double()
    ess = ess_of(logp - logq)
    lp = fmt_value_error(logp.mean().item(), logp.std().item())
    print(f"Epoch: {epoch} | loss: {loss.item():.4f} | ess: {ess:.4f} | log(p): {lp}",
          flush=True)


@torch.no_grad()
def draw(flow, action, n, L, dtype, chunk=4096):
    """n fresh samples: (phi, log w = -S - log q), in chunks."""
    phis, logws = [], []
    for i in range(0, n, chunk):
        phi, logq = sample(flow, min(chunk, n - i), L, dtype)
        phis.append(phi)
        logws.append(-action(phi).double() - logq.double())
    return torch.cat(phis), torch.cat(logws)


def imh_chain(logw, seed):
    """Independence Metropolis over the proposals in order; returns the index of the
    chain's state at each step (the first proposal starts the chain)."""
    lw = logw.double().cpu().numpy()
    logu = np.log(np.random.default_rng(seed).random(lw.size))
    idx = np.empty(lw.size, dtype=np.int64)
    cur = 0
    idx[0] = 0
    for i in range(1, lw.size):
        if logu[i] < lw[i] - lw[cur]:
            cur = i
        idx[i] = cur
    return idx


def binned_error(x, bin_size):
    n = (x.size // bin_size) * bin_size
    b = x[:n].reshape(-1, bin_size).mean(axis=1)
    return b.std(ddof=1) / math.sqrt(b.size)


def build(args):
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    torch.set_default_dtype(dtype)
    flow = Flow(args.L, args.layers, args.hidden, args.kernel, args.activation, args.affine,
                args.padding)
    action = Phi4Action(args.action, args.kappa, args.m_sq, args.lambd)
    return flow, action, dtype


def run_train(args):
    torch.manual_seed(args.seed)
    flow, action, dtype = build(args)
    opt = torch.optim.AdamW(flow.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
             if args.schedule == "cosine" else None)
    path = args.gradient == "path"
    nparam = sum(p.numel() for p in flow.parameters())
    print(f"# preset={args.preset} L={args.L} action={args.action} kappa={args.kappa} "
          f"m_sq={args.m_sq} lambd={args.lambd} layers={args.layers} hidden={args.hidden} "
          f"kernel={args.kernel} padding={args.padding} activation={args.activation} "
          f"affine={args.affine} "
          f"params={nparam} epochs={args.epochs} batch={args.batch} lr={args.lr} "
          f"wd={args.weight_decay} schedule={args.schedule} gradient={args.gradient} "
          f"dtype={args.dtype} threads={torch.get_num_threads()}", flush=True)

    print(">>> Checking the current status of the model <<<", flush=True)
    with torch.no_grad():
        phi, logq = sample(flow, args.batch, args.L, dtype)
        s_act = action(phi)
        progress(0, (logq + s_act).mean(), logq, s_act)
    print(f">>> Training started for {args.epochs} epochs <<<", flush=True)
    skipped = 0
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss, logq, s_act, stepped = train_step(flow, opt, action, args.batch, args.L,
                                                dtype, path)
        if not stepped:
            skipped += 1
            print(f"# epoch {epoch}: loss {loss.item()} not finite, step skipped", flush=True)
        if sched is not None:
            sched.step()
        if epoch % args.print_stride == 0 or epoch == args.epochs:
            progress(epoch, loss, logq, s_act)
    train_s = time.perf_counter() - t0
    print(f">>> Training finished (cpu); TIME = {train_s:.2f} sec <<<", flush=True)

    phi, logw = draw(flow, action, args.nsamples, args.L, dtype)
    ess = ess_of(logw)
    acc = imh_acceptance(logw, args.seed + 1)
    print(f"ESS ({args.nsamples} samples): {ess:.4f}")
    print(f"Metropolis acceptance rate: {acc:.4f}")
    result = {
        "preset": args.preset, "L": args.L, "layers": args.layers, "hidden": args.hidden,
        "affine": args.affine, "gradient": args.gradient, "epochs": args.epochs,
        "batch": args.batch, "train_seconds": round(train_s, 4),
        "ms_per_epoch": round(1000.0 * train_s / args.epochs, 4),
        "ess": round(ess, 5), "accept_rate": round(acc, 5), "skipped_steps": skipped,
        "threads": torch.get_num_threads(), "dtype": args.dtype,
    }

    if args.chi2:
        # chi_2 = V <M^2>, M = mean phi, on an independence-Metropolis chain of --chain
        # fresh proposals (the first proposal starts the chain; no burn-in needed since
        # it is already a draw from q, and q is close to p)
        V = args.L * args.L
        phi, logw = draw(flow, action, args.chain, args.L, dtype)
        idx = imh_chain(logw, args.seed + 2)
        m = phi.double().mean(dim=(1, 2)).numpy()
        o = V * m[idx] ** 2
        chi2 = o.mean()
        naive = o.std(ddof=1) / math.sqrt(o.size)
        binned = {b: binned_error(o, b) for b in (8, 32, 128)}
        acc_c = float(np.mean(idx[1:] != idx[:-1]))
        w = torch.exp(logw - logw.max()).numpy()
        chi2_rw = float((w * V * m ** 2).sum() / w.sum())
        print(f"chi2 = V<M^2> from an IMH chain of {args.chain} (acceptance {acc_c:.4f}): "
              f"{fmt_value_error(chi2, naive)} (naive error); "
              + ", ".join(f"bin {b}: {fmt_value_error(chi2, e)}" for b, e in binned.items()))
        print(f"chi2 by reweighting the same proposals: {chi2_rw:.4f}; "
              f"<|M|> on the chain: {np.abs(m[idx]).mean():.4f}")
        result.update({"chi2": round(float(chi2), 5), "chi2_err_naive": round(float(naive), 5),
                       "chi2_err_bin32": round(float(binned[32]), 5),
                       "chi2_reweighted": round(chi2_rw, 5), "chain": args.chain,
                       "chain_accept": round(acc_c, 5)})
    print(json.dumps(result))


def run_hmc(args):
    """Reference values by HMC: --hmc-chains independent chains in parallel (float64),
    leapfrog with --hmc-steps steps of --hmc-eps per trajectory, --hmc-therm
    trajectories of thermalisation, then --hmc-traj measured ones. chi2 = V<M^2>; its
    error from the spread of the per-chain means (the chains are independent)."""
    torch.manual_seed(args.seed)
    torch.set_default_dtype(torch.float64)
    action = Phi4Action(args.action, args.kappa, args.m_sq, args.lambd)
    C, L, V = args.hmc_chains, args.L, args.L * args.L
    # start near the origin: N(0, 1) starts of a stiff lambda phi^4 (e.g. lambda = 8) sit at
    # huge action where the leapfrog is unstable and the chains can stay stuck
    phi = 0.3 * torch.randn(C, L, L)
    s_cur = action(phi)
    acc, obs = 0, []
    t0 = time.perf_counter()
    for it in range(args.hmc_therm + args.hmc_traj):
        p = torch.randn_like(phi)
        h0 = s_cur + 0.5 * (p * p).sum(dim=(1, 2))
        x, eps = phi.clone(), args.hmc_eps
        p = p - 0.5 * eps * action.force(x)
        for k in range(args.hmc_steps):
            x = x + eps * p
            p = p - (eps if k < args.hmc_steps - 1 else 0.5 * eps) * action.force(x)
        s_new = action(x)
        h1 = s_new + 0.5 * (p * p).sum(dim=(1, 2))
        accept = torch.rand(C).log() < (h0 - h1)
        phi = torch.where(accept[:, None, None], x, phi)
        s_cur = torch.where(accept, s_new, s_cur)
        if it >= args.hmc_therm:
            acc += accept.double().mean().item()
            obs.append(V * phi.mean(dim=(1, 2)) ** 2)
    o = torch.stack(obs).numpy()                          # (traj, chains)
    per_chain = o.mean(axis=0)
    chi2 = per_chain.mean()
    err = per_chain.std(ddof=1) / math.sqrt(C)
    kap = f" kappa={args.kappa}" if args.action == "seed" else ""
    print(f"HMC {args.action} L={L} m_sq={args.m_sq} lambd={args.lambd}{kap}: "
          f"{C} chains x {args.hmc_traj} trajectories (+{args.hmc_therm} therm), "
          f"{args.hmc_steps} x {args.hmc_eps} leapfrog, acceptance {acc / args.hmc_traj:.3f}, "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"chi2 = V<M^2> = {fmt_value_error(chi2, err)} (error from the chain-to-chain "
          f"spread)")
    print(json.dumps({"hmc_chi2": round(float(chi2), 5), "hmc_chi2_err": round(float(err), 5),
                      "chains": C, "trajectories": args.hmc_traj,
                      "acceptance": round(acc / args.hmc_traj, 4)}))


def run_bench(args):
    torch.manual_seed(args.seed)
    flow, action, dtype = build(args)
    opt = torch.optim.AdamW(flow.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    path = args.gradient == "path"
    times = []
    for i in range(args.bench_warmup + args.bench_steps):
        t0 = time.perf_counter()
        train_step(flow, opt, action, args.batch, args.L, dtype, path)
        dt = time.perf_counter() - t0
        if i >= args.bench_warmup:
            times.append(dt)
    print(json.dumps({
        "L": args.L, "batch": args.batch, "layers": args.layers, "hidden": args.hidden,
        "threads": torch.get_num_threads(), "dtype": args.dtype, "gradient": args.gradient,
        "ms_per_step": round(1000.0 * statistics.median(times), 3),
        **({"padding": args.padding} if args.padding != "module" else {}),
    }))


# ---------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------

def selftest():
    ok = True

    def check(name, err, tol):
        nonlocal ok
        good = err <= tol
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {name}: {err:.3e} (tol {tol:.0e})")

    def check_true(name, cond, detail=""):
        nonlocal ok
        ok &= bool(cond)
        print(f"{'ok  ' if cond else 'FAIL'} {name}{': ' + detail if detail else ''}")

    torch.set_default_dtype(torch.float64)
    torch.manual_seed(1234)

    # actions: the w0/w2/w4 form against the neighbour-difference form
    phi = torch.randn(50, 6, 6)
    for conv, k, m2, lam in [("seed", 0.67, -2.68, 0.5), ("albergo2019", None, -4.0, 8.0)]:
        a = Phi4Action(conv, k, m2, lam)
        check(f"action {conv}: hopping form vs difference form, max rel",
              ((a(phi) - a.direct(phi)).abs() / a.direct(phi).abs()).max().item(), 1e-12)
        ph = phi.clone().requires_grad_()
        (gs,) = torch.autograd.grad(a(ph).sum(), ph)
        check(f"action {conv}: analytic force vs autograd, max",
              (a.force(phi) - gs).abs().max().item(), 1e-10)
    a = Phi4Action("albergo2019", None, -4.0, 8.0)
    phi1 = torch.zeros(1, 4, 4)
    phi1[0, 1, 2] = 1.0
    # one excited site: 4 bonds of (1)^2 + m^2 + lambda = 4 - 4 + 8
    check("action albergo2019 single site = 2d + m^2 + lambda", abs(a(phi1).item() - 8.0),
          1e-12)

    # periodic padding by torch.cat == nn.Conv2d(padding_mode='circular'), same weights
    for L in (4, 6):
        a = conv_net([8, 8], 3, "tanh", "module")
        b = conv_net([8, 8], 3, "tanh", "cat")
        b.load_state_dict(a.state_dict())
        x = torch.randn(5, 1, L, L)
        check(f"cat padding vs padding_mode='circular' ({L}x{L}), max",
              (a(x) - b(x)).abs().max().item(), 1e-13)
    # the convolution really is periodic: translating the input translates the output
    a = conv_net([8, 8], 3, "tanh", "module")
    x = torch.randn(3, 1, 6, 6)
    shifted = a(torch.roll(x, (2, -1), dims=(2, 3)))
    check("conditioner commutes with lattice translations, max",
          (shifted - torch.roll(a(x), (2, -1), dims=(2, 3))).abs().max().item(), 1e-13)

    for affine in ("tanh", "seed", "tutorial"):
        flow = Flow(4, 4, [8, 8], 3, "tanh", affine)
        with torch.no_grad():       # larger weights than the default init: a real test
            for p in flow.parameters():
                p.mul_(3.0)
        x = torch.randn(64, 4, 4)
        y, lj = flow(x)
        xr, lji = flow.inverse(y)
        check(f"{affine}: inverse(forward(x)) - x, max", (xr - x).abs().max().item(), 1e-10)
        check(f"{affine}: logJ_inv(y) + logJ(x), max", (lji + lj).abs().max().item(), 1e-10)
        # full Jacobian of one 4x4 configuration (16 x 16) by autograd
        errs = []
        for b in range(4):
            f = lambda v: flow(v.view(1, 4, 4))[0].reshape(16)
            J = torch.autograd.functional.jacobian(f, x[b].reshape(16))
            errs.append(abs(torch.linalg.slogdet(J)[1].item() - lj[b].item()))
        check(f"{affine}: logJ vs autograd log|det J| (4x4), max", max(errs), 1e-10)
        # a single layer changes only its active sites
        layer = flow.layers[1]
        y1, _ = layer(x)
        check(f"{affine}: layer 1 leaves parity-0 sites unchanged, max",
              ((y1 - x) * layer.frozen).abs().max().item(), 0.0)
        moved = ((y1 - x) * layer.active).abs().amax(dim=0)[layer.active > 0].min().item()
        check_true(f"{affine}: layer 1 moves every active site", moved > 1e-6,
                   f"min over active sites of max |dy| = {moved:.3e}")
        if affine == "seed":
            check("seed: contraction, logJ <= 0", lj.max().item(), 0.0)

    # path gradient: E[path grad] = E[plain grad]; same batch (common random numbers)
    L, B = 4, 200000
    action = Phi4Action("seed", 0.67, -2.68, 0.5)
    torch.manual_seed(3)
    flow = Flow(L, 2, [4], 3, "tanh", "tanh")
    grads = {}
    for mode in ("plain", "path"):
        opt = torch.optim.SGD(flow.parameters(), lr=0.0)
        torch.manual_seed(11)
        train_step(flow, opt, action, B, L, torch.float64, mode == "path")
        grads[mode] = torch.cat([p.grad.reshape(-1) for p in flow.parameters()])
    diff = (grads["path"] - grads["plain"]).norm().item() / grads["plain"].norm().item()
    check(f"path vs plain gradient (same batch, {B}), |diff|/|plain|", diff, 3e-2)
    # and they are not trivially equal (the score term is dropped)
    check_true("path and plain gradients are not identical (score term dropped)",
               (grads["path"] - grads["plain"]).abs().max().item() > 0)

    # at q = p the path gradient vanishes per sample, the plain one only on average:
    # identity flow (last conv zeroed) and the free target S = sum phi^2 / 2
    # (seed convention, kappa = 0, m^2 = 1, lambda = 0) equal to the prior
    flow = Flow(L, 2, [4], 3, "tanh", "tanh")
    with torch.no_grad():
        for layer in flow.layers:
            layer.net[-1].weight.zero_()
            layer.net[-1].bias.zero_()
    free = Phi4Action("seed", 0.0, 1.0, 0.0)
    gmax = {}
    for mode in ("plain", "path"):
        opt = torch.optim.SGD(flow.parameters(), lr=0.0)
        torch.manual_seed(5)
        train_step(flow, opt, free, 1000, L, torch.float64, mode == "path")
        gmax[mode] = max(p.grad.abs().max().item() for p in flow.parameters())
    check("q = p: path gradient = 0, max", gmax["path"], 1e-12)
    check_true("q = p: plain gradient is only zero on average", gmax["plain"] > 1e-3,
               f"max {gmax['plain']:.3e}")

    print("SELFTEST", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

DEFAULTS = dict(L=8, batch=128, layers=8, hidden=[16, 16], kernel=3, activation="tanh",
                affine="tanh", action="seed", kappa=0.67, m_sq=-4 * 0.67, lambd=0.5,
                epochs=1000, lr=1e-3, weight_decay=0.01, schedule="none", gradient="plain",
                print_stride=100, nsamples=16384, chi2=False, chain=8192)

PRESETS = {
    # the seed library's 2-d example without its Fourier block (the seed README in
    # shared/seed does not show the 2-d example; 8 coupling layers assumed)
    "phi4_2d_affine": dict(L=8, action="seed", kappa=0.67, m_sq=-4 * 0.67, lambd=0.5,
                           layers=8, hidden=[8, 8], kernel=3, epochs=1000, batch=128,
                           lr=0.01, schedule="cosine", gradient="path"),
    # arXiv:2101.08176 tutorial point
    "tutorial": dict(L=8, action="albergo2019", kappa=None, m_sq=-4.0, lambd=8.0,
                     layers=16, hidden=[8, 8], kernel=3, epochs=2500, batch=64, lr=1e-3,
                     schedule="none", gradient="plain", print_stride=250, chi2=True),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--bench", action="store_true")
    mode.add_argument("--train", action="store_true")
    mode.add_argument("--selftest", action="store_true")
    mode.add_argument("--hmc", action="store_true",
                      help="HMC reference for chi2 of the chosen action (no flow)")
    ap.add_argument("--preset", choices=sorted(PRESETS), help="implies --train; explicit "
                    "options override the preset")
    ap.add_argument("--L", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--hidden", type=lambda s: [int(v) for v in s.split(",") if v],
                    help="comma-separated hidden channels, e.g. 16,16")
    ap.add_argument("--kernel", type=int)
    ap.add_argument("--activation", choices=sorted(ACTIVATIONS))
    ap.add_argument("--padding", choices=["module", "cat"], default="module",
                    help="module: nn.Conv2d(padding_mode='circular') (default); cat: the "
                    "same periodic padding by torch.cat (faster in torch 1.13)")
    ap.add_argument("--affine", choices=["tanh", "seed", "tutorial"])
    ap.add_argument("--action", choices=["seed", "albergo2019"])
    ap.add_argument("--kappa", type=float)
    ap.add_argument("--m-sq", type=float)
    ap.add_argument("--lambd", type=float)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--weight-decay", type=float)
    ap.add_argument("--schedule", choices=["none", "cosine"])
    ap.add_argument("--gradient", choices=["plain", "path"])
    ap.add_argument("--print-stride", type=int)
    ap.add_argument("--nsamples", type=int, help="fresh samples for the final ESS/acceptance")
    ap.add_argument("--chi2", action="store_const", const=True,
                    help="also measure chi2 = V<M^2> on an IMH chain of --chain configurations")
    ap.add_argument("--chain", type=int)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch.set_num_threads(N); 0 = torch's default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hmc-chains", type=int, default=256)
    ap.add_argument("--hmc-traj", type=int, default=2000)
    ap.add_argument("--hmc-therm", type=int, default=500)
    ap.add_argument("--hmc-steps", type=int, default=20)
    ap.add_argument("--hmc-eps", type=float, default=0.05)
    ap.add_argument("--bench-steps", type=int, default=20)
    ap.add_argument("--bench-warmup", type=int, default=3)
    args = ap.parse_args()

    preset = PRESETS.get(args.preset, {})
    for key, val in DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, preset.get(key, val))
    if args.action == "seed" and args.kappa is None:
        ap.error("the seed convention needs --kappa")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.selftest:
        sys.exit(selftest())
    if args.hmc:
        run_hmc(args)
    elif args.bench:
        run_bench(args)
    elif args.train or args.preset:
        run_train(args)
    else:
        ap.error("choose --bench, --train (or --preset) or --selftest")


if __name__ == "__main__":
    main()
