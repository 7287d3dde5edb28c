# Chapter 1: tanh and its vanishing derivative.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch01_tanh.png"
set title "f(x) = tanh(x): far from 0 the gradient all but vanishes"
set xlabel "x"
set ylabel "value"
set grid
set key top left
set label 1 "f'(4) = 0.001341" at 4, 0.001341 offset -3,2
plot "out/ch01_tanh.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "tanh(x)", \
     "out/ch01_tanh.dat" using 1:3 with lines lw 2 dt 2 lc rgb "#ff7f0e" title "tanh'(x) = 1 − tanh²(x)", \
     "+" using (4):(0.001341) every ::0::0 with points pt 7 ps 1.4 lc rgb "#d62728" notitle
