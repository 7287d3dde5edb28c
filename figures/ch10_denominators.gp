# Chapter 10: the gradient scale Adam, AMSGrad, Yogi and Adamax divide by, when |g| drops (data: examples/ch10_adam.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch10_denominators.png"
set title "|g| = 1 for 500 steps, then 0.1: the scale each method divides the step by"
set xlabel "step t"
set ylabel "denominator (units of g)"
set logscale y
set yrange [0.05:2]
set grid
set key top right box opaque
set arrow from 500, graph 0 to 500, graph 1 nohead dt 3 lc rgb "black"
plot "out/ch10_denominators.dat" using 1:3 with lines lw 2 title "Adam: sqrt(v_t / (1 - beta_2^t))", \
     "" using 1:4 with lines lw 2 title "AMSGrad: sqrt(max v / (1 - beta_2^t))", \
     "" using 1:5 with lines lw 2 title "Yogi: sqrt(v_t / (1 - beta_2^t))", \
     "" using 1:6 with lines lw 2 title "Adamax: u_t", \
     "" using 1:2 with lines lw 1 dt 2 lc rgb "black" title "|g_t|"
