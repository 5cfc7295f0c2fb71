# Tests of the elastic module (src/elastic/) and `catex potential`.
#
# The dense reference calls LAPACK (dsyev) through PETSc's <petscblaslapack.h>;
# it is the LAPACK PETSc itself links, but PETSc's pkg-config file does not
# export it, so link it explicitly.
find_package(LAPACK REQUIRED)
set(CATEX_ELASTIC_UTIL ${CMAKE_CURRENT_LIST_DIR}/test_elastic_util.c)
catex_test(test_elastic_reference SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elastic_reference.c ${CATEX_ELASTIC_UTIL}
           LIBS LAPACK::LAPACK LABELS unit TIMEOUT 120)
catex_test(test_elastic_solvers SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elastic_solvers.c ${CATEX_ELASTIC_UTIL}
           LIBS LAPACK::LAPACK LABELS unit TIMEOUT 120)
catex_test(test_elastic_invariants SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elastic_invariants.c ${CATEX_ELASTIC_UTIL}
           LIBS LAPACK::LAPACK LABELS unit TIMEOUT 120)
catex_test(test_elastic_displacements SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elastic_displacements.c
           ${CATEX_ELASTIC_UTIL} LIBS LAPACK::LAPACK LABELS unit TIMEOUT 120)
catex_script_test(test_elastic_potential_cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_potential_cli.sh TIMEOUT 120)
