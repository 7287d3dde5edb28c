# Chapter 7: the weight beta^t that momentum gives a gradient t steps old (data: examples/ch07_momentum.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch07_weights.png"
set title "Momentum's weights: v_t = sum_k beta^k g_{t-k}   (sum of the weights: 1/(1-beta))"
set xlabel "age of the gradient k (steps)"
set ylabel "weight beta^k"
set key top right box
set grid
set yrange [0:1.05]
plot "out/ch07_weights.dat" using 1:2 with linespoints pt 7 ps 0.5 lw 2 title "beta = 0.95", \
     "" using 1:3 with linespoints pt 7 ps 0.5 lw 2 title "beta = 0.9", \
     "" using 1:4 with linespoints pt 7 ps 0.5 lw 2 title "beta = 0.6", \
     "" using 1:5 with linespoints pt 7 ps 0.7 lw 2 title "beta = 0 (gradient descent)"
