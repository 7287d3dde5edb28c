# Chapter 10: Adam's moment estimates with and without bias correction (data: examples/ch10_adam.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch10_moments.png"
set title "Adam's averages for g = 1 + 0.5 N(0,1): raw (start at 0) and bias-corrected"
set xlabel "step t"
set ylabel "estimate"
set logscale x
set xrange [1:2000]
set yrange [0:2.2]
set grid
set key top left box opaque
plot "out/ch10_moments.dat" using 1:2 with points pt 7 ps 0.25 lc rgb "#aaaaaa" title "g_t", \
     "" using 1:3 with lines lw 2 lc rgb "#1f77b4" title "m_t (beta_1 = 0.9)", \
     "" using 1:5 with lines lw 2 dt 2 lc rgb "#1f77b4" title "m_t / (1 - beta_1^t)", \
     "" using 1:4 with lines lw 2 lc rgb "#d62728" title "v_t (beta_2 = 0.999)", \
     "" using 1:6 with lines lw 2 dt 2 lc rgb "#d62728" title "v_t / (1 - beta_2^t)", \
     1.25 with lines lw 1 dt 3 lc rgb "black" title "E[g^2] = 1.25"
