# Chapter 11b: Schedule-Free SGD's three sequences (data: examples/ch11b_after_adam.c)
set terminal pngcairo size 900,560 font ",11"
set output "figures/ch11b_sequences.png"
set title "Schedule-Free SGD on f(w) = w^2/2 with noisy gradients (lr 0.2, beta1 0.9)"
set xlabel "step"
set ylabel "w"
set grid
set yrange [-2.5:4.2]
set key top right box opaque
plot "out/ch11b_sequences.dat" using 1:2 with lines lw 1 lc rgb "#9ecae1" title "z: SGD steps, constant lr", \
     "" using 1:4 with lines lw 2 lc rgb "#fd8d3c" title "y = 0.9 x + 0.1 z: gradients taken here", \
     "" using 1:3 with lines lw 3 lc rgb "#08519c" title "x: the average of the z, evaluated"
