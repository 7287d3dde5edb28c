# Chapter 9: Adadelta's loss for several eps (data: examples/ch09_rmsprop.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch09_adadelta.png"
set title "Adadelta (lr 1, rho 0.9) on f(x) = 0.1 x_1^2 + 2 x_2^2: eps sets the pace"
set xlabel "step"
set ylabel "f(x)"
set logscale xy
set format y "10^{%L}"
set xrange [1:2000]
set grid
set key bottom left box opaque
plot "out/ch09_adadelta.dat" index 0 using 1:4 with lines lw 2 title "eps = 1e-8", \
     "" index 1 using 1:4 with lines lw 2 dt 2 title "eps = 1e-6 (PyTorch's default)", \
     "" index 2 using 1:4 with lines lw 2 dt 4 title "eps = 1e-4", \
     "" index 3 using 1:4 with lines lw 3 title "eps = 1e-2: f < 1e-14 at step 104"
