# Task farm, output file, checkpoint/restart and the farm commands (run, kmc,
# equilibrium). Script tests drive the catex executable under mpirun.
set(CATEX_FARM_DIR ${CMAKE_CURRENT_LIST_DIR})
catex_test(test_idle_wait SOURCES ${CATEX_FARM_DIR}/test_idle_wait.c NPROCS 2 LABELS mpi TIMEOUT 60)
catex_script_test(test_farm_ranks COMMAND bash ${CATEX_FARM_DIR}/test_farm_ranks.sh TIMEOUT 300 LABELS farm mpi)
catex_script_test(test_farm_kill COMMAND /usr/bin/python3 ${CATEX_FARM_DIR}/test_farm_kill.py TIMEOUT 600 LABELS farm mpi)
catex_script_test(test_farm_errors COMMAND bash ${CATEX_FARM_DIR}/test_farm_errors.sh TIMEOUT 300 LABELS farm mpi)
catex_script_test(test_farm_fail COMMAND bash ${CATEX_FARM_DIR}/test_farm_fail.sh TIMEOUT 300 LABELS farm mpi)
catex_script_test(test_farm_cli COMMAND bash ${CATEX_FARM_DIR}/test_farm_cli.sh TIMEOUT 300 LABELS farm mpi)
catex_script_test(test_slurm_farm COMMAND bash ${CATEX_FARM_DIR}/test_slurm_farm.sh TIMEOUT 600 LABELS slurm)
set_tests_properties(test_slurm_farm PROPERTIES SKIP_RETURN_CODE 77)
