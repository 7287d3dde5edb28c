# Chapter 1: the saddle f(x, y) = x^2 - y^2 as a 3-D surface.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch01_saddle.png"
set title "f(x, y) = x² − y²: a minimum along x, a maximum along y, a saddle at (0, 0)"
set xlabel "x"
set ylabel "y"
set zlabel "f" rotate by 90
set view 55, 35
set ticslevel 0
unset key
set pm3d depthorder border lc rgb "#444444" lw 0.5
set palette defined (0 "#3b4cc0", 1 "#dddddd", 2 "#b40426")
set cblabel "f(x, y)"
set arrow 1 from 0,0,0.9 to 0,0,0.05 lc rgb "#000000" lw 2 front
set label 1 "saddle point (0, 0)" at 0,0,1.0 center front
splot "out/ch01_saddle.dat" using 1:2:3 with pm3d notitle
