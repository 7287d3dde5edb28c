# Chapter 8: the learning rate Adagrad gives each coordinate (data: examples/ch08_adagrad.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch08_rates.png"
set title "Adagrad, lr 0.4: the rate each coordinate uses, lr / sqrt(s_t + eps)"
set xlabel "step t"
set ylabel "effective learning rate"
set logscale y
set grid
set key top right box
plot "out/ch08_rates.dat" using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "x_1 (curvature 0.2: small gradients)", \
     "" using 1:3 with linespoints lw 2 pt 5 ps 0.6 title "x_2 (curvature 4: large gradients)"
