# Equilibrium Monte Carlo of fixed-shell nanocrystals (issue 4) and the
# blocking analysis behind its error bars.
catex_test(test_equilibrium_invariants SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_equilibrium_invariants.c
           LABELS unit TIMEOUT 120)
catex_test(test_equilibrium_pending SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_equilibrium_pending.c
           LABELS unit TIMEOUT 120)
catex_test(test_equilibrium_blocking SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_blocking.c LABELS stat TIMEOUT 120)
catex_test(test_equilibrium_exact SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_equilibrium_exact.c
           LABELS stat TIMEOUT 180)
