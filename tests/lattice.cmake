catex_test(test_lattice SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_lattice.c LABELS unit)
catex_test(test_observables SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_observables.c LABELS unit)
catex_test(test_rng SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_rng.c LABELS unit)
