# Issue 10, fault tolerance: signals, full disks, one writer per output,
# verified rows on resume, numeric limits, hostile inputs, world size,
# memory messages. Script tests drive the catex executable.
set(CATEX_FAULT_DIR ${CMAKE_CURRENT_LIST_DIR})
catex_script_test(test_fault_signals COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_signals.py
                  TIMEOUT 600 LABELS farm mpi)
catex_script_test(test_fault_disk COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_disk.py
                  TIMEOUT 600 LABELS farm mpi)
set_tests_properties(test_fault_disk PROPERTIES SKIP_RETURN_CODE 77)
catex_script_test(test_fault_lock COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_lock.py
                  TIMEOUT 300 LABELS farm mpi)
catex_script_test(test_fault_checksum COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_checksum.py
                  TIMEOUT 300 LABELS farm mpi)
catex_script_test(test_fault_limits COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_limits.py
                  TIMEOUT 300 LABELS farm)
catex_script_test(test_fault_inputs COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_inputs.py
                  TIMEOUT 300 LABELS farm mpi)
catex_script_test(test_fault_world COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_world.py
                  TIMEOUT 300 LABELS farm mpi)
catex_script_test(test_fault_memory COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_memory.py
                  TIMEOUT 300 LABELS farm)
catex_script_test(test_fault_requeue COMMAND /usr/bin/python3 ${CATEX_FAULT_DIR}/test_fault_requeue.py
                  TIMEOUT 300 LABELS farm mpi)
