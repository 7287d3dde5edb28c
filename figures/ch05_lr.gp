# Chapter 5: the four learning rates, each over the steps of its run (data: examples/ch05_sgd.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch05_lr.png"
set title "Learning rate η_t of the SGD runs (η_0 = 0.1): 50 steps each, the exponential one 1000"
set xlabel "step t (log scale)"
set ylabel "η_t"
set logscale x
set xrange [1:1000]
set yrange [0:0.13]
set grid
set key top right box opaque
plot "out/ch05_lr.dat" index 0 using 1:2 with lines lw 2 lc rgb "#1f77b4" title "constant 0.1", \
     "" index 1 using 1:2 with steps lw 2 dt 2 lc rgb "#2ca02c" title "piecewise constant: 0.1, 0.03 after 20, 0.01 after 35", \
     "" index 2 using 1:2 with lines lw 2 dt 4 lc rgb "#d62728" title "exponential 0.1·e^{−0.1t}", \
     "" index 3 using 1:2 with lines lw 2 dt 5 lc rgb "#9467bd" title "polynomial 0.1·(0.1t + 1)^{−1/2}"
