# End-to-end check of `cxmpute replay` as users run it (ctest: app.replay_cli).
#   cmake -DCXMPUTE=<binary> -DDATA=<tests/app/data> -DWORK=<scratch dir> -P replay_cli.cmake
# data/story.expected is the exact output for data/story.jsonl; after an intended change of the
# event stream, regenerate it with
#   build/release/src/app/cxmpute replay tests/app/data/story.jsonl --state > tests/app/data/story.expected

function(expect what got want)
  if(NOT "${got}" STREQUAL "${want}")
    message(FATAL_ERROR "replay_cli: ${what}: got '${got}', want '${want}'")
  endif()
endfunction()

file(READ "${DATA}/story.expected" expected)

# A file with --state: the golden output, exit code 0 although two lines are bad, and one human
# line per bad line on stderr.
execute_process(COMMAND "${CXMPUTE}" replay "${DATA}/story.jsonl" --state
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
expect("exit code with bad lines" "${rc}" "0")
if(NOT out STREQUAL expected)
  file(WRITE "${WORK}/story.actual" "${out}")
  message(FATAL_ERROR "replay_cli: output differs from ${DATA}/story.expected; "
                      "see ${WORK}/story.actual")
endif()
if(NOT err MATCHES "replay: line 9: not JSON" OR NOT err MATCHES "replay: line 10: placeOrder: price")
  message(FATAL_ERROR "replay_cli: stderr does not name the bad lines:\n${err}")
endif()

# The same commands from stdin, and from "-".
foreach(arg IN ITEMS "--state" "-")
  set(args replay ${arg})
  if(arg STREQUAL "-")
    list(APPEND args --state)
  endif()
  execute_process(COMMAND "${CXMPUTE}" ${args} INPUT_FILE "${DATA}/story.jsonl"
                  OUTPUT_VARIABLE out ERROR_QUIET RESULT_VARIABLE rc)
  expect("exit code reading stdin (${args})" "${rc}" "0")
  if(NOT out STREQUAL expected)
    message(FATAL_ERROR "replay_cli: stdin output (${args}) differs from the file's")
  endif()
endforeach()

# Without --state there is no state line.
execute_process(COMMAND "${CXMPUTE}" replay "${DATA}/story.jsonl"
                OUTPUT_VARIABLE out ERROR_QUIET RESULT_VARIABLE rc)
expect("exit code without --state" "${rc}" "0")
if(out MATCHES "\"balances\"")
  message(FATAL_ERROR "replay_cli: a state line without --state")
endif()

# A file that cannot be opened (missing, or a directory): 1. Usage errors: 2.
foreach(path IN ITEMS "${DATA}/no-such-file.jsonl" "${DATA}")
  execute_process(COMMAND "${CXMPUTE}" replay "${path}"
                  OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
  expect("exit code for ${path}" "${rc}" "1")
  if(NOT err MATCHES "cannot open")
    message(FATAL_ERROR "replay_cli: no message for ${path}: ${err}")
  endif()
endforeach()
foreach(bad IN ITEMS "--bogus" "two-files")
  set(args replay "${DATA}/story.jsonl" --bogus)
  if(bad STREQUAL "two-files")
    set(args replay "${DATA}/story.jsonl" "${DATA}/story.jsonl")
  endif()
  execute_process(COMMAND "${CXMPUTE}" ${args} OUTPUT_QUIET ERROR_QUIET RESULT_VARIABLE rc)
  expect("exit code for a usage error (${bad})" "${rc}" "2")
endforeach()
