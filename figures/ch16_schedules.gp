# Chapter 16: what warmup and decay do, validation accuracy against steps for twelve rows
# (data: examples/ch16_sweep.c, full run: out/ch16_curves.dat, a line per validation
# point: row sched step val_loss val_acc seconds). One panel per row, one curve per
# schedule, each panel with its legend.
set terminal pngcairo size 1350,1480 font ",10"
set output "figures/ch16_schedules.png"
set multiplot layout 4,3 title "Validation accuracy every quarter epoch (98 steps) with each schedule; the dotted line is the 98.0% target"
rows = "0 22 23 5 21 20 18 19 15 16 17 9"
titles = "SGD, momentum 0.9;SAM (rho 0.05) around SGD;ASAM (rho 0.5) around SGD;AdamW;Lookahead (k 5, alpha 0.5) around AdamW;Adafactor;AdamW, 784-512-256-10;Muon, 784-512-256-10 (AdamW on the rest);ADOPT;Schedule-Free AdamW (no decay);Schedule-Free SGD (no decay);Lion"
title_of(g) = system("echo '".titles."' | cut -d';' -f".g)
colors = "#000000 #e69f00 #0072b2 #d55e00 #009e73"
names = "constant warmup+constant cosine warmup+cosine step"
set xlabel "step" offset 0,0.5
set ylabel "validation accuracy (%)" offset 1.5,0
set xrange [0:1955]
set xtics 0,391,1955
set yrange [95.5:99]
set ytics 95.5,0.5,99
set grid
set key bottom right font ",9" box opaque samplen 3
do for [g=1:12] {
    r = int(word(rows, g))
    set title title_of(g)
    plot for [s=0:4] "out/ch16_curves.dat" using ($1 == r && $2 == s ? $3 : NaN):(100*$5) with linespoints \
             lw 1.8 dt s+1 pt (s == 0 ? 5 : s == 1 ? 4 : s == 2 ? 7 : s == 3 ? 6 : 9) pi 4 ps 0.8 \
             lc rgb word(colors, s+1) title word(names, s+1), \
         98 with lines dt 3 lc rgb "#555555" notitle
}
unset multiplot
