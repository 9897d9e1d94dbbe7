# Doxygen input filter: elucid's headers are documented with plain // comments, and this turns them into Doxygen's
# (the headers stay as they are). The comment block that opens a file becomes its @file text; a comment on its own
# line documents what follows it (///), a comment after a declaration documents that declaration (///<).
# Comments after a closing brace (`}  // namespace elucid`) and inside function bodies are left alone.
# Usage: awk -f comments-to-doxygen.awk FILE (Doxygen's INPUT_FILTER passes the file name).
BEGIN { in_file_comment = 1; depth = 0 }
{
  line = $0
  if (in_file_comment && line ~ /^\/\/ ?/) {
    if (!seen_file_comment) { print "/// @file"; seen_file_comment = 1 }
    sub(/^\/\//, "///", line); print line; next
  }
  in_file_comment = 0
  if (line ~ /^[ \t]*\/\/[^\/!]/ || line ~ /^[ \t]*\/\/$/) {
    if (depth == 0) sub(/\/\//, "///", line)
  } else if (line ~ /[;,{)][ \t]+\/\/ / && line !~ /^[ \t]*}/) {
    if (depth == 0) sub(/[ \t]+\/\/ /, "  ///< ", line)
  }
  print line
  # Track braces of function bodies (not of namespaces, classes and structs, whose members are documented).
  code = line; sub(/\/\/.*/, "", code)
  if (code ~ /\)[^;]*{/ && code !~ /}/) depth++
  else if (depth > 0 && code ~ /^[ \t]*}/) depth--
}
