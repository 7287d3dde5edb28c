# Chapter 4b: the first line search of L-BFGS on Rosenbrock, phi(t) = f(x0 + t d) with
# d = -g at (-1.5, 2), and the strong Wolfe conditions (data: examples/ch04b_lbfgs.c).
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch04b_wolfe.png"
set title "The first line search: φ(t) = f(x_0 + t d), d = −∇f(x_0), and the strong Wolfe conditions"
set xlabel "step length t"
set ylabel "φ(t)"
set logscale y
set yrange [1:1000]
set xrange [0:0.0075]
set xtics 0, 0.001, 0.006
set grid
set key bottom right box opaque
verdict(a, c) = (a != 0 && c != 0) ? "accepted" : (a == 0 ? "rejected: above the line" : "rejected: too steep")
# where the curvature condition |φ'(t)| <= 0.9 |φ'(0)| holds: a band along the bottom
plot "out/ch04b_slice.dat" using 1:(1):($5 != 0 ? 1.6 : 1) with filledcurves fs solid 0.5 noborder lc rgb "#98df8a" title "curvature: |φ'(t)| ≤ 0.9 |φ'(0)|", \
     "out/ch04b_slice.dat" using 1:3 with lines lw 2 dt 2 lc rgb "#d62728" title "sufficient decrease: φ(0) + 10^{-4} t φ'(0)", \
     "out/ch04b_slice.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "φ(t)", \
     "out/ch04b_trials.dat" using 2:3 with points pt 7 ps 1.5 lc rgb "black" title "the search's trials", \
     "out/ch04b_trials.dat" using 2:3:(sprintf("trial %d: %s", $1, verdict($5, $6))) with labels offset 1, -1.2 left notitle
