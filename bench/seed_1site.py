#!/usr/bin/python3
"""PyTorch reference for the seed README's one-site (0-d) example.

Written from the math in docs/conventions.md (not from the normflow package), used to
compare training speed and quality against the Go tool.

Model
    prior : z ~ N(0, 1), one variable
    flow  : DistConvertor, y = logit(S(expit(x))), S a rational-quadratic (RQ) spline
            on [0, 1] with K knots in symmetric mode (defined on [0.5, 1], extended by
            point reflection S(0.5 - u) = 1 - S(0.5 + u)); parameters shared by all
            samples, all zero at start (= identity map)
    action: S(phi) = (m^2/2) phi^2 + lambda phi^4, m^2 = -2, lambda = 0.2 (kappa = 0)

Training: reverse KL, loss = mean(log q(phi) + S(phi)), with the path gradient
(default) or the plain reparameterised gradient; AdamW(lr=1e-3, weight_decay=0.01).

Run with Debian's torch:  /usr/bin/python3 bench/seed_1site.py [--threads N] ...
Self-test:                /usr/bin/python3 bench/seed_1site.py --selftest
"""

import argparse
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

LN2 = math.log(2.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# ---------------------------------------------------------------------------
# Symmetric rational-quadratic distribution convertor
# ---------------------------------------------------------------------------
#
# Because the spline is point-symmetric about (0.5, 0.5) and expit/logit are odd about
# 0 <-> 0.5, the whole map is odd: f(-x) = -f(x).  We therefore evaluate it on t = |x|
# (u = expit(t) in [0.5, 1)), where only the upper half-spline on [0.5, 1] is needed,
# and restore the sign afterwards.  The log-Jacobian is even, log f'(-x) = log f'(|x|).
#
# Half-spline: K knots (K-1 bins)
#   X = 0.5 + 0.5 [0, cumsum(softmax(w))],  Y = 0.5 + 0.5 [0, cumsum(softmax(h))]
#   d = softplus_beta(v) = softplus(beta v) / beta,  beta = ln 2   (v = 0 -> d = 1)
# In bin k with width wk, height hk, slope s = hk/wk and xi = (u - X_k)/wk:
#   S(u)  = Y_k + hk [s xi^2 + d_k xi(1-xi)] / D,  D = s + (d_k + d_{k+1} - 2s) xi(1-xi)
#   S'(u) = s^2 [d_{k+1} xi^2 + 2 s xi(1-xi) + d_k (1-xi)^2] / D^2
# log|dy/dx| of y = logit(S(expit(x))):
#   log S'(u) + log u + log(1-u) - log v - log(1-v),   u = expit(x), v = S(u)


def knot_tables(w, h, v):
    """Per-bin table (6, K-1): rows x_k, width, y_k, height, d_k, d_{k+1}; plus the
    interior x- and y-boundaries used for the bin search."""
    wid = 0.5 * torch.softmax(w, dim=0)
    hgt = 0.5 * torch.softmax(h, dim=0)
    zero = wid.new_zeros(1)
    xk = 0.5 + torch.cat([zero, torch.cumsum(wid, 0)[:-1]])
    yk = 0.5 + torch.cat([zero, torch.cumsum(hgt, 0)[:-1]])
    d = F.softplus(LN2 * v) / LN2
    table = torch.stack([xk, wid, yk, hgt, d[:-1], d[1:]])
    return table, xk[1:].detach().contiguous(), yk[1:].detach().contiguous()


def _log_dspline(xi, s, dk, dk1, denom):
    om = 1.0 - xi
    num = dk1 * xi * xi + 2.0 * s * xi * om + dk * om * om
    return 2.0 * torch.log(s) + torch.log(num) - 2.0 * torch.log(denom)


def flow_forward(x, params):
    """x -> (y, log|dy/dx|) elementwise; params = (w, h, v)."""
    table, xb, _ = knot_tables(*params)
    sgn = 1.0 - 2.0 * (x < 0).to(x.dtype)     # sign with sgn(0) = 1 (keeps dt/dx = 1 at 0)
    t = x * sgn
    u = torch.sigmoid(t)                       # in [0.5, 1)
    idx = torch.searchsorted(xb, u.detach(), right=True)
    xk, wid, yk, hgt, dk, dk1 = table[:, idx]
    s = hgt / wid
    xi = ((u - xk) / wid).clamp(0.0, 1.0)
    xo = xi * (1.0 - xi)
    denom = s + (dk + dk1 - 2.0 * s) * xo
    vv = yk + hgt * (s * xi * xi + dk * xo) / denom
    log_v, log_1mv = torch.log(vv), torch.log1p(-vv)
    y = sgn * (log_v - log_1mv)
    logj = (_log_dspline(xi, s, dk, dk1, denom)
            + F.logsigmoid(t) + F.logsigmoid(-t) - log_v - log_1mv)
    return y, logj


def flow_inverse(y, params):
    """y -> (x, log|dx/dy|) elementwise; the RQ quadratic is solved in the stable form."""
    table, _, yb = knot_tables(*params)
    sgn = 1.0 - 2.0 * (y < 0).to(y.dtype)
    t = y * sgn
    vv = torch.sigmoid(t)
    idx = torch.searchsorted(yb, vv.detach(), right=True)
    xk, wid, yk, hgt, dk, dk1 = table[:, idx]
    s = hgt / wid
    dlt = vv - yk
    sdd = dk + dk1 - 2.0 * s
    a = hgt * (s - dk) + dlt * sdd
    b = hgt * dk - dlt * sdd
    c = -s * dlt
    disc = (b * b - 4.0 * a * c).clamp_min(0.0)
    xi = ((2.0 * c) / (-b - torch.sqrt(disc))).clamp(0.0, 1.0)
    u = xk + wid * xi
    log_u, log_1mu = torch.log(u), torch.log1p(-u)
    x = sgn * (log_u - log_1mu)
    denom = s + sdd * xi * (1.0 - xi)
    logj = -(_log_dspline(xi, s, dk, dk1, denom)
             + log_u + log_1mu - F.logsigmoid(t) - F.logsigmoid(-t))
    return x, logj


# ---------------------------------------------------------------------------
# Prior, action, metrics
# ---------------------------------------------------------------------------

M_SQ, LAMBD = -2.0, 0.2


def log_prior(z):
    return (-0.5 * z * z - HALF_LOG_2PI).sum(dim=1)


def action(phi):
    p2 = phi * phi
    return (0.5 * M_SQ * p2 + LAMBD * p2 * p2).sum(dim=1)


def ess_of(logw):
    """(sum w)^2 / (N sum w^2) via log-sum-exp."""
    logw = logw.double()
    n = logw.numel()
    return math.exp(2.0 * torch.logsumexp(logw, 0).item()
                    - torch.logsumexp(2.0 * logw, 0).item() - math.log(n))


def fmt_value_error(val, err, err_digits=2):
    """0.52 +- 0.57 -> '0.52(57)', 0.4 +- 1.1 -> '0.4(11)'."""
    if not (math.isfinite(val) and math.isfinite(err)) or err <= 0:
        return f"{val:g}({err:g})"
    digits = err_digits - 1 - int(math.floor(math.log10(err)))
    e = round(err * 10.0 ** digits)
    if e >= 10 ** err_digits:          # rounding overflowed a digit (e.g. 0.996 -> 100)
        digits -= 1
        e = round(err * 10.0 ** digits)
    if digits > 0:
        return f"{val:.{digits}f}({e})"
    scale = 10.0 ** (-digits)
    return f"{int(round(val / scale) * scale)}({int(e * scale)})"


def imh_acceptance(logw, seed):
    """Independence Metropolis over the samples in order: accept w'/w."""
    lw = logw.double().cpu().numpy()
    logu = np.log(np.random.default_rng(seed).random(lw.size))
    cur, acc = lw[0], 0
    for i in range(1, lw.size):
        if logu[i] < lw[i] - cur:
            cur = lw[i]
            acc += 1
    return acc / (lw.size - 1)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

def sample(params, n, dtype):
    z = torch.randn(n, 1, dtype=dtype)
    phi, logj = flow_forward(z, params)
    logq = log_prior(z) - logj.sum(dim=1)
    return phi, logq


def train_step(params, opt, batch, dtype, path):
    opt.zero_grad(set_to_none=True)
    phi, logq = sample(params, batch, dtype)
    s_act = action(phi)
    loss = (logq + s_act).mean()
    if path:
        # path gradient: g = grad_phi [log q_theta(phi) + S(phi)] at frozen theta, from
        # the inverse flow; surrogate mean(g . phi) carries d phi / d theta only.
        frozen = [p.detach() for p in params]
        ph = phi.detach().requires_grad_()
        zz, logj_inv = flow_inverse(ph, frozen)
        obj = (log_prior(zz) + logj_inv.sum(dim=1) + action(ph)).sum()
        (g,) = torch.autograd.grad(obj, ph)
        ((g * phi).sum() / batch).backward()
    else:
        loss.backward()
    opt.step()
    return loss.detach(), phi.detach(), logq.detach(), s_act.detach()


def progress(epoch, loss, logq, s_act):
    logp = -s_act.double()
    ess = ess_of(logp - logq)
    lp = fmt_value_error(logp.mean().item(), logp.std().item())
    print(f"Epoch: {epoch} | loss: {loss.item():.4f} | ess: {ess:.4f} | log(p): {lp}",
          flush=True)


def run(args):
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    torch.manual_seed(args.seed)
    K = args.knots
    params = [torch.zeros(K - 1, dtype=dtype, requires_grad=True),
              torch.zeros(K - 1, dtype=dtype, requires_grad=True),
              torch.zeros(K, dtype=dtype, requires_grad=True)]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    path = args.gradient == "path"

    print(">>> Checking the current status of the model <<<", flush=True)
    with torch.no_grad():
        phi, logq = sample(params, args.batch, dtype)
        s_act = action(phi)
        progress(0, (logq + s_act).mean(), logq, s_act)
    print(f">>> Training started for {args.epochs} epochs <<<", flush=True)
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss, phi, logq, s_act = train_step(params, opt, args.batch, dtype, path)
        if epoch % args.print_stride == 0 or epoch == args.epochs:
            progress(epoch, loss, logq, s_act)
    train_s = time.perf_counter() - t0
    print(f">>> Training finished (cpu); TIME = {train_s:.2f} sec <<<", flush=True)

    with torch.no_grad():
        phi, logq = sample(params, args.nsamples, dtype)
        logw = -action(phi) - logq
    ess = ess_of(logw)
    acc = imh_acceptance(logw, args.seed + 1)
    print(f"ESS ({args.nsamples} samples): {ess:.4f}")
    print(f"Metropolis acceptance rate: {acc:.4f}")
    print(json.dumps({
        "train_seconds": round(train_s, 4),
        "ms_per_epoch": round(1000.0 * train_s / args.epochs, 4),
        "ess": round(ess, 5),
        "accept_rate": round(acc, 5),
        "threads": torch.get_num_threads(),
        "dtype": args.dtype,
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

    gen = torch.Generator().manual_seed(1234)
    for dtype, tol_inv, tol_j in [(torch.float64, 1e-10, 1e-9), (torch.float32, 2e-4, 2e-3)]:
        tag = str(dtype).split(".")[-1]
        K = 10
        for trial in range(3):
            params = [torch.randn(K - 1, generator=gen, dtype=torch.float64).to(dtype),
                      torch.randn(K - 1, generator=gen, dtype=torch.float64).to(dtype),
                      (1.5 * torch.randn(K, generator=gen, dtype=torch.float64)).to(dtype)]
            # float32: stay within |x| <= 6 (a N(0,1) prior never goes further); beyond,
            # logit(expit(x)) itself loses relative precision ~ 1e-7 e^|x| in float32
            xmax = 6.0 if dtype == torch.float32 else 30.0
            x = (2.0 * torch.randn(20000, 1, generator=gen, dtype=torch.float64)
                 ).clamp(-xmax, xmax).to(dtype)
            x[:3, 0] = torch.tensor([0.0, 1e-6, -4.0])
            xg = x.clone().requires_grad_()
            y, lj = flow_forward(xg, params)
            (dydx,) = torch.autograd.grad(y.sum(), xg)
            xr, lji = flow_inverse(y.detach(), params)
            ym, _ = flow_forward(-x, params)
            check(f"{tag} trial {trial} inverse(forward(x)) - x, max rel",
                  ((xr - x).abs() / (1.0 + x.abs())).max().item(), tol_inv)
            check(f"{tag} trial {trial} logJ - log|autograd dy/dx|, max",
                  (lj.detach() - dydx.abs().log()).abs().max().item(), tol_j)
            # inverse log-Jacobian at y against the forward one at the recovered x
            # (at the original x instead, float32 rounding of y in the far tail,
            # |y| > 6, is amplified to ~1e-3 by log(1 - expit(|y|)))
            _, ljr = flow_forward(xr, params)
            check(f"{tag} trial {trial} logJ_inv(y) + logJ(inverse(y)), max",
                  (lji + ljr).abs().max().item(), tol_j)
            check(f"{tag} trial {trial} oddness f(-x) + f(x), max",
                  (ym + y.detach()).abs().max().item(), tol_inv)
            yg = y.detach().clone().requires_grad_()
            xr2, _ = flow_inverse(yg, params)
            (dxdy,) = torch.autograd.grad(xr2.sum(), yg)
            check(f"{tag} trial {trial} inverse logJ vs autograd, max",
                  (lji - dxdy.abs().log()).abs().max().item(), tol_j)
        zero = [torch.zeros(K - 1, dtype=dtype), torch.zeros(K - 1, dtype=dtype),
                torch.zeros(K, dtype=dtype)]
        x = (2.0 * torch.randn(1000, 1, generator=gen, dtype=torch.float64)
             ).clamp(-xmax, xmax).to(dtype)
        y, lj = flow_forward(x, zero)
        check(f"{tag} zero params = identity, max |y - x|", (y - x).abs().max().item(),
              tol_inv * 10)
        check(f"{tag} zero params logJ = 0, max", lj.abs().max().item(), tol_j)

    # path gradient: E[surrogate grad] == E[plain grad] (score term has zero mean);
    # compare on a big batch with common random numbers at random parameters.
    torch.manual_seed(7)
    base = [0.3 * torch.randn(9, dtype=torch.float64), 0.3 * torch.randn(9, dtype=torch.float64),
            0.3 * torch.randn(10, dtype=torch.float64)]
    grads = {}
    for mode in ("plain", "path"):
        params = [b.clone().requires_grad_() for b in base]
        opt = torch.optim.SGD(params, lr=0.0)
        torch.manual_seed(11)
        train_step(params, opt, 400000, torch.float64, mode == "path")
        grads[mode] = torch.cat([p.grad for p in params])
    diff = (grads["path"] - grads["plain"]).abs().max().item()
    scale = grads["plain"].abs().max().item()
    check("path vs plain gradient (same batch, 4e5), max rel diff", diff / scale, 2e-2)

    for v, e, want in [(0.52, 0.57, "0.52(57)"), (0.4, 1.1, "0.4(11)"),
                       (0.7512, 0.6234, "0.75(62)"), (12.34, 5.67, "12.3(57)"),
                       (123.4, 56.7, "123(57)"), (1234.0, 567.0, "1230(570)"),
                       (0.5, 0.0996, "0.50(10)")]:
        got = fmt_value_error(v, e)
        good = got == want
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} format {v}, {e} -> {got} (want {want})")

    print("SELFTEST", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--knots", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--gradient", choices=["path", "plain"], default="path")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch.set_num_threads(N); 0 = torch's default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--print-stride", type=int, default=100)
    ap.add_argument("--nsamples", type=int, default=100000)
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.selftest:
        sys.exit(selftest())
    run(args)


if __name__ == "__main__":
    main()
