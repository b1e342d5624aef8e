# The mock's query engines (views, N1QL, sample data) as one static library,
# `sofa_mock_query`. Included by tools/mock/CMakeLists.txt (linked into sofa-mock,
# together with query_routes.c, the glue to the HTTP server), by tests/mockquery
# (unit tests with a fake store) and by tests/fuzz (fuzz_mockq_*.c compile the
# sources listed in SOFA_MOCK_QUERY_SOURCES themselves, instrumented).
# The store_api.h functions (mock_cluster_bucket, mock_bucket_*, mock_strbuf_append)
# are provided by whoever links it: the mock's store, tests/mockquery/fake_store.c,
# or tests/fuzz/mockq_fuzz_store.h.
set(SOFA_MOCK_QUERY_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SOFA_MOCK_QUERY_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/collation.c
  ${CMAKE_CURRENT_LIST_DIR}/query_util.c
  ${CMAKE_CURRENT_LIST_DIR}/view_query.c
  ${CMAKE_CURRENT_LIST_DIR}/view_js.c
  ${CMAKE_CURRENT_LIST_DIR}/view_exec.c
  ${CMAKE_CURRENT_LIST_DIR}/views.c
  ${CMAKE_CURRENT_LIST_DIR}/n1ql_lex.c
  ${CMAKE_CURRENT_LIST_DIR}/n1ql_parse.c
  ${CMAKE_CURRENT_LIST_DIR}/n1ql_parse_stmt.c
  ${CMAKE_CURRENT_LIST_DIR}/n1ql_eval.c
  ${CMAKE_CURRENT_LIST_DIR}/n1ql_exec.c
  ${CMAKE_CURRENT_LIST_DIR}/n1ql_request.c
  ${CMAKE_CURRENT_LIST_DIR}/n1ql_prepared.c
  ${CMAKE_CURRENT_LIST_DIR}/n1ql.c
  ${CMAKE_CURRENT_LIST_DIR}/sample.c)
if(NOT TARGET PkgConfig::DUKTAPE)
  pkg_check_modules(DUKTAPE REQUIRED IMPORTED_TARGET GLOBAL duktape)
endif()
if(NOT TARGET sofa_mock_query)
  add_library(sofa_mock_query STATIC ${SOFA_MOCK_QUERY_SOURCES})
  target_include_directories(sofa_mock_query PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(sofa_mock_query PUBLIC PkgConfig::JANSSON PkgConfig::DUKTAPE m)
endif()
