# Chapter 13: error of finite differences against the step h (data: examples/ch13_gradcheck.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch13_error_vs_h.png"
set title "Finite-difference error for d/dx [x cos(pi x)] at x = 1 (exact: -1)"
set xlabel "step h"
set ylabel "|numerical - exact|"
set logscale xy
set format x "10^{%L}"
set format y "10^{%L}"
set xrange [1e-14:0.2]
set yrange [1e-12:10]
set grid
set key below maxrows 3 width -4
eps = 2.0**-52
plot "out/ch13_error_vs_h.dat" using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb "#1f77b4" title "forward difference, double", \
     "" using 1:3 with linespoints pt 7 ps 0.6 lw 2 lc rgb "#d62728" title "central difference, double", \
     "" using 1:4 with linespoints pt 6 ps 0.6 lw 1.5 lc rgb "#ff7f0e" title "central difference, float", \
     (pi**2 / 2) * x with lines dt 2 lc rgb "#1f77b4" title "truncation h f''/2 (slope 1)", \
     (pi**2 / 2) * x**2 with lines dt 2 lc rgb "#d62728" title "truncation h^2 f'''/6 (slope 2)", \
     eps / x with lines dt 3 lc rgb "#555555" title "rounding estimate eps |f| / h (slope -1)"
