# The table of runtime/quickMath.ts's exp: 2^(j/64) for j = 0…63, each the double nearest the true value
# (mpmath, 50 digits; Python's float() of an mpf rounds to nearest) and what it misses, and ln 2 / 64 split in two parts
# (the high part has 32 significant bits, so k · high is exact for |k| < 2^21).
# Run: /usr/bin/python3 scripts/quick-exp-table.py
import mpmath as mp

mp.mp.dps = 50
table = [float(mp.power(2, mp.mpf(j) / 64)) for j in range(64)]
rows = [", ".join(repr(v) for v in table[i : i + 4]) for i in range(0, 64, 4)]
print("const POW2_SIXTYFOURTHS = new Float64Array([\n  " + ",\n  ".join(rows) + ",\n]);")
# What each entry misses of the true value (tanh adds it back near 0, where e^2x − 1 is small).
tails = [float(mp.power(2, mp.mpf(j) / 64) - mp.mpf(table[j])) for j in range(64)]
rows = [", ".join(repr(v) for v in tails[i : i + 4]) for i in range(0, 64, 4)]
print("const POW2_SIXTYFOURTHS_TAIL = new Float64Array([\n  " + ",\n  ".join(rows) + ",\n]);")
ln2_64 = mp.log(2) / 64
hi = float(mp.mpf(int(mp.floor(ln2_64 * 2**37))) / 2**37)
print(f"const LN2_64_HI = {hi!r};\nconst LN2_64_LO = {float(ln2_64 - mp.mpf(hi))!r};\nconst SIXTYFOUR_OVER_LN2 = {float(64 / mp.log(2))!r};")
