# Chapter 3: gradient descent on f = x1^2 + 2 x2^2 from (-5, -2), eta = 0.1.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch03_contour.png"
set title "Gradient descent on f(x1, x2) = x1² + 2 x2², η = 0.1, 20 steps from (−5, −2)"
set xlabel "x_1"
set ylabel "x_2"
set size ratio -1
set xrange [-5.5:1]
set yrange [-3:1]
set grid
set key bottom right box opaque
set view map
unset surface
set isosamples 150, 150
set contour base
set cntrparam levels discrete 0.25, 1, 2.5, 5, 10, 17, 25, 35, 50
set table $cont
splot [-5.5:1][-3:1] x**2 + 2*y**2
unset table
unset contour
plot $cont with lines lc rgb "#bbbbbb" title "contours of f", \
     "out/ch03_path2d.dat" using 2:3 with linespoints pt 7 ps 0.8 lw 1.5 lc rgb "#ff7f0e" title "gradient descent"
