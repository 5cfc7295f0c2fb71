# Replica exchange across K_shell (issue 9): exact enumeration with a
# negative control, detailed balance of the swap move, low-rank cross
# energies, and bitwise identity across ranks and kill/resume.
catex_test(test_exchange_job SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_exchange_job.c LABELS unit)
catex_test(test_exchange_swap SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_exchange_swap.c LABELS unit TIMEOUT 120)
catex_test(test_exchange_exact SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_exchange_exact.c LABELS stat TIMEOUT 300)
catex_script_test(test_exchange_farm COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_exchange_farm.sh TIMEOUT 300
                  LABELS farm mpi)
catex_script_test(test_exchange_gangs COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_exchange_gangs.sh TIMEOUT 600
                  LABELS farm mpi)
