# Chapter 9: the weight (1-gamma) gamma^t that RMSProp's average gives g^2 from t steps ago (data: examples/ch09_rmsprop.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch09_weights.png"
set title "RMSProp's leaky average: s_t = sum_{k<t} (1-gamma) gamma^k g_{t-k}^2; after t steps the weights sum to 1 - gamma^t"
set xlabel "age of the squared gradient k (steps)"
set ylabel "weight (1-gamma) gamma^k"
set key top right box
set grid
plot "out/ch09_weights.dat" using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "gamma = 0.95", \
     "" using 1:3 with linespoints pt 4 ps 0.7 lw 2 dt 2 title "gamma = 0.9", \
     "" using 1:4 with linespoints pt 9 ps 0.8 lw 2 dt 4 title "gamma = 0.8", \
     "" using 1:5 with linespoints pt 6 ps 0.7 lw 2 dt 5 title "gamma = 0.7"
