"""catex.xrd: from catex configurations to what the PbS -> CdS experiment
measures (X-ray powder patterns by the Debye equation, peak observables,
interdiffusion coefficients).

Modules (each has one job):
  elastic    the cube's NN + NNN bonds rebuilt from stored site positions,
             the operators D, C, S of docs/model.md, and the minimum-energy
             displacements u = (1/2) D^+ C sigma (scipy.sparse, rigid modes pinned)
  structure  a catex cube configuration -> atoms (Pb, Cd, S) at four levels of
             positions; extended XYZ export through ase
  formfactor atomic form factors from Debian-packaged tables
  debye      I(Q) by the Debye equation from per-species-pair distance histograms
  peaks      (111), (200), (220) fits: position, width, integrated intensity
  store      the companion HDF5 file of XRD observables
  diffusion  Fick (hexagon as a disc, cube series) and shrinking-core fits of
             X(t) = 1 - c(t), bootstrap errors, Arrhenius fits
"""
