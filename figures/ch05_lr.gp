# Chapter 5: the four learning rates.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch05_lr.png"
set title "Learning rate η_t for the SGD runs (η_0 = 0.1)"
set xlabel "step t"
set ylabel "η_t"
set grid
set key top right
set yrange [0:0.14]
plot "out/ch05_lr.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "constant", \
     "out/ch05_lr.dat" using 1:3 with steps lw 2 lc rgb "#2ca02c" title "piecewise constant", \
     "out/ch05_lr.dat" using 1:4 with lines lw 2 lc rgb "#d62728" title "exponential 0.1·e^{−0.1t}", \
     "out/ch05_lr.dat" using 1:5 with lines lw 2 lc rgb "#9467bd" title "polynomial 0.1·(0.1t + 1)^{−1/2}"
