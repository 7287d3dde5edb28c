# Chapter 4b: distance to the minimum against evaluations spent (data: examples/ch04b_lbfgs.c).
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch04b_error.png"
set title "Rosenbrock from (−1.5, 2): distance to the minimum against evaluations\n(the exact minimum, distance 0, is drawn at 10^{-16})"
set xlabel "evaluations of f and ∇f (Newton: of ∇f and the Hessian)"
set ylabel "|x_k − (1, 1)|"
set logscale xy
set format x "10^{%L}"
set format y "10^{%L}"
set xrange [0.8:1e5]
set yrange [1e-16:10]
set grid
set key bottom right box opaque
lo(e) = e < 1e-16 ? 1e-16 : e
plot "out/ch04b_runs.dat" index 3 using ($2 > 0 ? $2 : 1/0):(lo($3)) with linespoints pt 5 lw 2 lc rgb "#d62728" title "Newton", \
     "out/ch04b_runs.dat" index 1 using ($2 > 0 ? $2 : 1/0):(lo($3)) with lines lw 2 lc rgb "#9467bd" title "L-BFGS, tolerances 0", \
     "out/ch04b_runs.dat" index 0 using ($2 > 0 ? $2 : 1/0):(lo($3)) with lines lw 2 dt 2 lc rgb "#1f77b4" title "L-BFGS, torch's defaults", \
     "out/ch04b_runs.dat" index 2 using ($2 > 0 ? $2 : 1/0):(lo($3)) with lines lw 2 lc rgb "#ff7f0e" title "L-BFGS, no line search", \
     "out/ch04b_runs.dat" index 4 using ($2 > 0 ? $2 : 1/0):(lo($3)) with lines lw 2 lc rgb "#2ca02c" title "gradient descent"
