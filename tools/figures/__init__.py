"""Figure families of `tools/catexplot` (one module each):

kinetics     composition, phase fractions and RMS Delta A vs time (KMC; Figs. 2, 3d, 6b, 7b)
equilibrium  <f_alpha>, Var(f_U), RMS Delta A vs a scanned parameter (Figs. 4b, 5, 6c, 7c)
snapshots    configurations coloured by species / plaquette label (Figs. 1b, 3c, 7a)
fss          finite-size scaling of the Var(f_U) peak
overview     one page summarising every study of a file (tools/quickstart)
"""
