# Chapter 4: the error of Newton's method on cosh(x/2) per iteration, log scale.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch04_error.png"
set title "Newton on cosh(x/2) from x = 10: error |x_k| per iteration"
set xlabel "iteration k"
set ylabel "error |x_k − 0|"
set logscale y
set format y "10^{%L}"
set xrange [-0.5:8.5]
set yrange [1e-24:100]
set grid
set key top right
set label 1 "far away: about 2 less per step" at 0.3, 1e-2
set label 2 "then the digits triple per step" at 5.3, 1e-4
plot "out/ch04_cosh.dat" using 1:($3 > 0 ? $3 : 1/0) with linespoints pt 7 ps 1.2 lw 2 lc rgb "#ff7f0e" title "Newton, η = 1"
