# Chapter 4: Newton's method on cosh(x/2) and on x cos(0.15 pi x).
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch04_traces.png"
set multiplot layout 1,2 title "Newton's method from x = 10"
set grid
set xlabel "x"
set ylabel "f(x)"
set title "cosh(x/2), η = 1: straight to the minimum"
set key top left
plot [-11:11] cosh(x/2) with lines lw 2 lc rgb "#1f77b4" title "cosh(x/2)", \
     "out/ch04_cosh.dat" using 2:(cosh($2/2)) with linespoints pt 7 ps 0.9 lc rgb "#ff7f0e" title "Newton"
set title "x cos(0.15πx): pure Newton ends on a maximum"
set key bottom left
set yrange [-30:40]
plot "out/ch04_xcos.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "x cos(0.15πx)", \
     "out/ch04_xcos_paths.dat" index 0 using 2:3 with linespoints pt 7 ps 0.9 lc rgb "#d62728" title "η = 1", \
     "out/ch04_xcos_paths.dat" index 1 using 2:3 with linespoints pt 5 ps 0.8 lc rgb "#2ca02c" title "η = 0.5", \
     "out/ch04_xcos_paths.dat" index 2 using 2:3 with linespoints pt 9 ps 0.9 lc rgb "#9467bd" title "damping 1", \
     "out/ch04_xcos_paths.dat" index 3 using 2:3 with linespoints pt 13 ps 0.9 lc rgb "#ff7f0e" title "line search"
unset multiplot
