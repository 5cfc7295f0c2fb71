# Sourced by catex's scripts: lets Open MPI run as root (containers, CI) and
# start more ranks than cores, which is what a 2-core test machine needs.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
