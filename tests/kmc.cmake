# Tests of the KMC engine (src/kmc/) and `catex bench kmc`.
set(CATEX_KMC_UTIL ${CMAKE_CURRENT_LIST_DIR}/test_kmc_util.c)
catex_test(test_kmc_rates SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kmc_rates.c ${CATEX_KMC_UTIL} LABELS unit TIMEOUT 120)
catex_test(test_kmc_run SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kmc_run.c ${CATEX_KMC_UTIL} LABELS unit TIMEOUT 120)
catex_test(test_kmc_balance SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kmc_balance.c ${CATEX_KMC_UTIL} LABELS stat TIMEOUT 300)
catex_test(test_kmc_ensemble SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kmc_ensemble.c ${CATEX_KMC_UTIL} LABELS stat TIMEOUT 300)
