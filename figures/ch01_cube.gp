# Chapter 1: x^3 has a flat inflection point at 0: zero slope, zero curvature, neither a minimum nor a maximum.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch01_cube.png"
set title "f(x) = x³: the gradient vanishes at 0, which is not a minimum"
set xlabel "x"
set ylabel "f(x)"
set grid
set key top left
set label 1 "inflection point: f'(0) = 0, f''(0) = 0" at 0,0 offset 1,-1.5
plot "out/ch01_cube.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "x³", \
     "+" using (0):(0) every ::0::0 with points pt 7 ps 1.6 lc rgb "#d62728" title "f'(0) = 0"
