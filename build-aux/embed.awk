# Turn text files into one C array of struct embedded_file:
#   awk -v var=NAME -f embed.awk FILE...
# so that merzim carries its schema migrations and default calendar inside its binaries.

# C string literal body for one line; char by char, as gsub's backslash rules differ between awks.
function c_escape(s,    out, i, c) {
        out = ""
        for (i = 1; i <= length(s); i++) {
                c = substr(s, i, 1)
                if (c == "\\")
                        out = out "\\\\"
                else if (c == "\"")
                        out = out "\\\""
                else if (c == "\t")
                        out = out "\\t"
                else if (c == "?")
                        out = out "\\?"
                else
                        out = out c
        }
        return out
}

BEGIN { printf "const struct embedded_file %s[] = {\n", var }
FNR == 1 {
        if (nfiles++)
                printf "},\n"
        n = split(FILENAME, parts, "/")
        printf "{ \"%s\",\n", parts[n]
}
{ printf "  \"%s\\n\"\n", c_escape($0) }
END {
        if (nfiles)
                printf "},\n"
        printf "{ 0, 0 }\n};\n"
}
