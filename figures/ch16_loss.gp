# Chapter 16: validation loss of every row with warmup + cosine (the Schedule-Free rows: their
# own warmup, no decay), every quarter epoch (data: examples/ch16_sweep.c, full run:
# out/ch16_curves.dat, a line per validation point: row sched step val_loss val_acc seconds;
# rows in the program's order: 0 sgd 1 adagrad 2 rmsprop 3 adadelta 4 adam 5 adamw 6 adamax
# 7 nadam 8 radam 9 lion 10 yogi 11 lamb 12 adabelief 13 rprop 14 asgd 15 adopt 16 sfadamw
# 17 sfsgd 18 adamw-512-256 19 muon-512-256 20 adafactor 21 la-adamw 22 sam-sgd 23 asam-sgd).
# One panel per family, at most four curves, each panel with its legend.
groups = "0,14,17 9,13 1,2,3 4,5,6,15 7,8,12 10,11,16 18,19 5,21,20 0,22,23"
names = "sgd adagrad rmsprop adadelta adam adamw adamax nadam radam lion yogi lamb adabelief rprop asgd adopt sfadamw sfsgd adamw-512-256 muon-512-256 adafactor la-adamw sam-sgd asam-sgd"
titles = "SGD, ASGD, Schedule-Free SGD;sign steps: Lion, Rprop (a wider axis);Adagrad, RMSProp, Adadelta;Adam, AdamW, Adamax, ADOPT;NAdam, RAdam, AdaBelief;Yogi, LAMB, Schedule-Free AdamW;784-512-256-10: AdamW, Muon;AdamW, Lookahead-AdamW, Adafactor;SGD, SAM-SGD, ASAM-SGD"
colors = "#000000 #e69f00 #0072b2 #d55e00"
member(g, j) = int(word(system("echo ".word(groups, g)." | tr , ' '"), j))
members(g) = words(system("echo ".word(groups, g)." | tr , ' '"))
title_of(g) = system("echo '".titles."' | cut -d';' -f".g)
sched_of(r) = (r == 16 || r == 17) ? 1 : 3
set terminal pngcairo size 1350,1150 font ",10"
set output "figures/ch16_loss.png"
set multiplot layout 3,3 title "Validation loss every quarter epoch with warmup + cosine (Schedule-Free: its own warmup, no decay)"
set xlabel "step" offset 0,0.5
set ylabel "validation loss (log scale)" offset 1.5,0
set xrange [0:1955]
set xtics 0,391,1955
set grid
set logscale y
set format y "%g"
set key top right font ",9" box opaque samplen 3
do for [g=1:9] {
    n = members(g)
    set title title_of(g)
    if (g == 2) { set yrange [0.05:50]; set ytics ("0.05" 0.05, "0.1" 0.1, "0.5" 0.5, "1" 1, "5" 5, "10" 10, "50" 50) } \
    else { set yrange [0.04:0.5]; set ytics ("0.04" 0.04, "0.05" 0.05, "0.07" 0.07, "0.1" 0.1, "0.2" 0.2, "0.3" 0.3, "0.5" 0.5) }
    plot for [j=1:n] "out/ch16_curves.dat" using ($1 == member(g, j) && $2 == sched_of(member(g, j)) ? $3 : NaN):4 \
             with linespoints lw 1.8 dt j pt (j == 1 ? 7 : j == 2 ? 4 : j == 3 ? 9 : 6) pi 4 ps 0.8 lc rgb word(colors, j) \
             title word(names, member(g, j) + 1)
}
unset multiplot
