# Integration tests of the HTTP API (tests/integration/test_api.py) against a
# real `vigil serve` on an ephemeral loopback port. One CTest test per case;
# included from tests/integration/CMakeLists.txt.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  set(_api_cases test_health test_auth_matrix test_ingest_lines_and_array test_partial_bad_records
      test_oversized_body_413 test_ten_megabyte_record test_hostile_field_names test_search_query_forms
      test_tenant_scoping test_metrics_openmetrics test_vigil_status)
  foreach(c ${_api_cases})
    add_test(NAME integration_api.${c} COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_api.py ${c})
    set_tests_properties(integration_api.${c} PROPERTIES LABELS integration ENVIRONMENT "${VG_TEST_ENV}"
                         TIMEOUT 300 DEPENDS vigil)
  endforeach()
endif()
