# Chapter 4: Newton's method on cosh(x/2) and on x cos(0.15 pi x) (data: examples/ch04_newton.c)
set terminal pngcairo size 1000,760 font ",11"
set output "figures/ch04_traces.png"
set multiplot layout 2,2 title "Newton's method, 10 steps"
set grid
# (a) cosh: the iterates on the curve
set title "cosh(x/2) from x = 10, η = 1: straight to the minimum"
set xlabel "x"
set ylabel "f(x)"
set key top center
plot [-11:11] cosh(x/2) with lines lw 2 lc rgb "#1f77b4" title "cosh(x/2)", \
     "out/ch04_cosh.dat" using 2:(cosh($2/2)) with linespoints pt 7 ps 0.9 lc rgb "#ff7f0e" title "Newton"
# (b) x cos(0.15 pi x): where the unrepaired or under-damped steps go
set title "x cos(0.15πx): steps that end on a maximum"
set key bottom center box opaque font ",9"
set xrange [-24:30]
set yrange [-30:35]
plot "out/ch04_xcos.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "x cos(0.15πx)", \
     "out/ch04_xcos_paths.dat" index 0 using 2:3 with linespoints pt 7 ps 0.9 lc rgb "#d62728" title "pure Newton from 10", \
     "out/ch04_damping.dat" index 0 using 2:3 with linespoints pt 4 ps 1.0 dt 2 lc rgb "#9467bd" title "damping 1 from 24", \
     "out/ch04_damping.dat" index 1 using 2:3 with linespoints pt 9 ps 1.0 lc rgb "#2ca02c" title "damping 7 from 24"
# (c) the iterate against the step, from x = 10
set title "x cos(0.15πx) from x = 10: the iterate x_k"
set xlabel "step k"
set ylabel "x_k"
set xrange [-0.3:10.3]
set yrange [0:31]
set key center right box opaque font ",9"
set arrow 1 from -0.3, 26.834133 to 10.3, 26.834133 nohead dt 3 lc rgb "#555555"
set label 1 "maximum 26.83" at 6.3, 28.6 font ",9"
set arrow 2 from -0.3, 7.269388 to 10.3, 7.269388 nohead dt 3 lc rgb "#555555"
set label 2 "minimum 7.27" at 6.3, 5.4 font ",9"
plot "out/ch04_xcos_paths.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 lc rgb "#d62728" title "η = 1 (pure)", \
     "" index 1 using 1:2 with linespoints lw 2 pt 5 ps 0.8 dt 2 lc rgb "#2ca02c" title "η = 0.5", \
     "" index 2 using 1:2 with linespoints lw 2 pt 9 ps 1.0 dt 4 lc rgb "#9467bd" title "damping 1", \
     "" index 3 using 1:2 with linespoints lw 2 pt 6 ps 1.0 lc rgb "#ff7f0e" title "line search"
unset arrow 1; unset arrow 2; unset label 1; unset label 2
# (d) how fast the three repairs reach the minimum
set title "the repairs: error |x_k − x*| to the minimum x* = 7.269388"
set ylabel "|x_k − x*|"
set logscale y
set format y "10^{%L}"
set yrange [1e-14:10]
set key top right box opaque font ",9"
plot "out/ch04_xcos_paths.dat" index 1 using 1:($4 > 0 ? $4 : 1/0) with linespoints lw 2 pt 5 ps 0.8 dt 2 lc rgb "#2ca02c" title "η = 0.5: linear", \
     "" index 2 using 1:($4 > 0 ? $4 : 1/0) with linespoints lw 2 pt 9 ps 1.0 dt 4 lc rgb "#9467bd" title "damping 1: linear", \
     "" index 3 using 1:($4 > 0 ? $4 : 1/0) with linespoints lw 2 pt 6 ps 1.0 lc rgb "#ff7f0e" title "line search: quadratic"
unset multiplot
