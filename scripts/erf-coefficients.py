# The Chebyshev coefficients of runtime/special.ts's erf, fitted here (mpmath, 50 digits) rather than
# copied from a libm: Chebyshev interpolation at the n+1 Chebyshev points of each interval.
#   |x| < 1        erf(x) = x · P(2x² − 1),           P ≈ erf(√t)/√t on t = x² ∈ [0, 1]
#   1 ≤ |x| < 2.5  erf(x) = ±(1 − e^(−x²) · Q(u)),   Q ≈ erfcx(x) = erfc(x)·e^(x²), u = (2|x| − 3.5)/1.5
#   2.5 ≤ |x| < 6  the same with R on [2.5, 6],       u = (2|x| − 8.5)/3.5
# Coefficients below 1e-18 are dropped (they change no double result). Run: /usr/bin/python3 scripts/erf-coefficients.py
import mpmath as mp

mp.mp.dps = 50

def chebyshev(f, a, b, n):
    N = n + 1
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / N) for k in range(N)]
    values = [f((b - a) / 2 * u + (a + b) / 2) for u in nodes]
    c = [2 * mp.fsum(values[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / N) for k in range(N)) / N for j in range(N)]
    c[0] /= 2
    return [float(v) for v in c if abs(v) >= 1e-18]

small = chebyshev(lambda t: mp.erf(mp.sqrt(t)) / mp.sqrt(t) if t > 0 else 2 / mp.sqrt(mp.pi), mp.mpf(0), mp.mpf(1), 13)
erfcx = lambda x: mp.erfc(x) * mp.exp(x * x)
mid = chebyshev(erfcx, mp.mpf(1), mp.mpf(2.5), 20)
tail = chebyshev(erfcx, mp.mpf(2.5), mp.mpf(6), 18)
for name, c in [("SMALL", small), ("MID", mid), ("TAIL", tail)]:
    print(f"const {name} = [{', '.join(repr(v) for v in c)}];")
