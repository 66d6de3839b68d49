/* validate/validate.c: check a generated file against the generated-code contract.
 *
 * A bundle promises more than "it compiles": NAME_run() allocates nothing, does no
 * I/O, keeps no writable state (so it is reentrant), needs no more stack than its
 * fixed frames (no VLAs, no recursion), uses only the target's instructions and
 * exports only NAME_-prefixed symbols, and its includes are the few headers every
 * freestanding-ish C99 toolchain has. This file checks those promises on the
 * real text, the way a compiler sees it: libclang parses the file as C99 for the
 * target's triple and flags (-Wall -Wextra -pedantic), then one walk over the
 * cursors of the bundle's own files (the file and the headers next to it, never
 * system headers) collects the facts each rule needs:
 *
 *   diagnostic          every warning or error libclang reports
 *   header              an #include other than the allowed ones (checked on the
 *                       directive's spelling, in the file and in bundle headers)
 *   header-use          use of a function or object declared in a header that is
 *                       not allowed, even when it arrived through an allowed one
 *                       (immintrin.h pulls in stdlib.h through mm_malloc.h)
 *   no-malloc, no-io    allocation and I/O calls (harness excepted)
 *   no-writable-static  file-scope or static-local objects that are not const
 *   no-vla              variable length arrays and alloca
 *   no-recursion        cycles in the call graph of the functions defined here
 *   intrinsic-isa       intrinsics (functions or macros) from a compiler header
 *                       of another ISA: the header decides, e.g. avx512fintrin.h
 *   symbol-prefix       external symbols without the model's NAME_ prefix
 *
 * Which ISA an intrinsic belongs to is decided by the clang header declaring it,
 * not by its name: immintrin.h includes every x86 extension regardless of -m
 * flags, so "declared at all" says nothing, while "declared in avx512fintrin.h"
 * says AVX-512F. Raw __builtin_ia32_* / __builtin_neon_* calls are accepted on
 * their own architecture (that is what the allowed intrinsic macros expand to)
 * and rejected elsewhere. */
#include "validate/validate.h"

#include <clang-c/Index.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emit/target.h"

#ifndef VITC_CLANG_RESOURCE_DIR
#define VITC_CLANG_RESOURCE_DIR ""
#endif

/* ---------------------------------------------------------------- tables */

/* Standard headers any file of a model may include (plus its intrinsics header). */
static const char *const model_headers[] = {"stdint.h", "stddef.h", "string.h", "math.h", "float.h", NULL};
/* The harness may also read files, allocate and time. */
static const char *const harness_headers[] = {"stdint.h", "stddef.h", "string.h", "math.h", "float.h",
                                              "stdio.h",  "stdlib.h", "errno.h",  "time.h",  "inttypes.h",
                                              "limits.h", "stdbool.h", NULL};

/* The intrinsics headers each target's flags enable are in its row of the target
 * table (Target.intrin_isa, emit/target.c). */

static const char *const alloc_functions[] = {"malloc", "calloc", "realloc", "free", "aligned_alloc",
                                              "posix_memalign", "memalign", "valloc", "pvalloc", "reallocarray",
                                              "strdup", "strndup", "_mm_malloc", "_mm_free", NULL};
static const char *const stack_alloc_functions[] = {"alloca", "__builtin_alloca", "__builtin_alloca_with_align",
                                                    NULL};
/* I/O by name, for when the declaring header says nothing (builtins, implicit
 * declarations). By header: io_headers. */
static const char *const io_functions[] = {
    "printf", "fprintf", "sprintf", "snprintf", "vprintf", "vfprintf", "vsprintf", "vsnprintf", "dprintf",
    "puts",   "fputs",   "putchar", "fputc",    "putc",    "getchar",  "getc",     "fgetc",     "gets",
    "fgets",  "scanf",   "fscanf",  "sscanf",   "fopen",   "fclose",   "freopen",  "fdopen",    "fread",
    "fwrite", "fflush",  "fseek",   "ftell",    "rewind",  "perror",   "remove",   "rename",    "tmpfile",
    "setvbuf", "setbuf", "ungetc",  "getline",  "open",    "close",    "read",     "write",     "lseek",
    "stdin",  "stdout",  "stderr",  "system",   "getenv",  "exit",     "abort",    "_Exit",     "atexit",
    NULL};
static const char *const io_headers[] = {"stdio.h", "wchar.h", "unistd.h", "fcntl.h", "dirent.h", "termios.h",
                                         "stdio_ext.h", "syslog.h", NULL};

static bool in_list(const char *const *list, const char *s) {
  for (; *list; list++)
    if (strcmp(*list, s) == 0) return true;
  return false;
}

static bool starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static const char *base_name(const char *p) {
  const char *b = strrchr(p, '/');
  return b ? b + 1 : p;
}

/* ---------------------------------------------------------------- state */

typedef enum { ARCH_NONE, ARCH_X86, ARCH_ARM } Arch;

/* What validate knows about one file of the translation unit. */
typedef struct FileInfo {
  CXFile file;
  CXFile parent;     /* the file that first included it (NULL: the main file) */
  bool user;         /* the validated file or a header next to it */
  bool intrinsics;   /* a compiler intrinsics header (clang's resource dir) */
  char public_name[128]; /* the header a user would name: bits/ and gnu/ folded into their includer */
  bool public_done;
} FileInfo;

typedef struct Violation {
  char *file;
  unsigned line, col;
  const char *rule;
  char *what;
} Violation;

/* A function defined in a bundle file and the calls it makes, for no-recursion. */
typedef struct CallEdge {
  int to;
  unsigned line, col;
  CXFile file;
  char *type; /* calls through a pointer: the function type called, "void (void *, int)" */
} CallEdge;

typedef struct FuncNode {
  char *usr;
  char *name;
  char *type; /* canonical function type */
  CallEdge *edges;
  int n_edges, cap_edges;
  int index, low, scc; /* Tarjan */
  bool on_stack;
  bool defined;         /* its body is in a bundle file */
  int refs, direct_calls; /* more references than calls: its address is taken */
  CallEdge *indirect;   /* calls through a pointer, made by this function */
  int n_indirect, cap_indirect;
} FuncNode;

typedef struct Validator {
  const ValidateOptions *opt;
  const char *name; /* model prefix */
  bool harness;
  Arch arch;
  const char *const *isa_headers; /* intrinsics headers of the target's ISA (NULL: none) */
  const char *const *allowed_headers;
  const char *intrin_header; /* the one intrinsics header a model file may include */
  char bundle_dir[4096];
  CXTranslationUnit tu;
  CXFile main_file;
  FileInfo **files; /* one allocation each: pointers stay valid as the list grows */
  int n_files, cap_files;
  Violation *v;
  int n_v, cap_v;
  FuncNode *funcs;
  int n_funcs, cap_funcs;
  int current_func; /* function whose body is being walked, -1 outside */
} Validator;

static void *grow(void *p, int *cap, int need, size_t elem) {
  if (need <= *cap) return p;
  int c = *cap ? *cap * 2 : 16;
  while (c < need) c *= 2;
  void *q = realloc(p, (size_t)c * elem);
  if (!q) {
    fprintf(stderr, "vitc: error: out of memory\n");
    exit(1);
  }
  memset((char *)q + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
  *cap = c;
  return q;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (!d) exit(1);
  memcpy(d, s, n);
  return d;
}

/* ---------------------------------------------------------------- files */

static char *file_path(CXFile f) {
  CXString s = clang_getFileName(f);
  char *r = dup_str(clang_getCString(s) ? clang_getCString(s) : "");
  clang_disposeString(s);
  return r;
}

static void dir_of(const char *path, char *out, size_t n) {
  char real[4096];
  if (!realpath(path, real)) snprintf(real, sizeof real, "%s", path);
  snprintf(out, n, "%s", real);
  char *slash = strrchr(out, '/');
  if (slash) *slash = 0;
  else snprintf(out, n, ".");
}

static FileInfo *file_info(Validator *V, CXFile f) {
  if (!f) return NULL;
  for (int i = 0; i < V->n_files; i++)
    if (V->files[i]->file == f) return V->files[i];
  V->files = grow(V->files, &V->cap_files, V->n_files + 1, sizeof *V->files);
  FileInfo *fi = calloc(1, sizeof *fi);
  if (!fi) exit(1);
  V->files[V->n_files++] = fi;
  fi->file = f;
  char *path = file_path(f);
  char dir[4096];
  dir_of(path, dir, sizeof dir);
  /* "User" is decided by place, not by clang's system-header flag, so a
   * `#pragma GCC system_header` in the file cannot switch the checks off. */
  fi->user = clang_File_isEqual(f, V->main_file) || strcmp(dir, V->bundle_dir) == 0;
  const char *b = base_name(path);
  fi->intrinsics = !fi->user && strstr(path, "/lib/clang/") && strstr(path, "/include/") &&
                   (strstr(b, "intrin") || starts_with(b, "arm_") || strcmp(b, "mm3dnow.h") == 0);
  free(path);
  return fi;
}

static bool internal_header(const char *path) {
  return strstr(path, "/bits/") || strstr(path, "/gnu/") || strstr(path, "/asm/") || strstr(path, "/asm-generic/");
}

/* The header a declaration is "from", as its user would name it: glibc's bits/
 * and gnu/ files fold into the public header that included them, and the part
 * of the path after include/ (minus a multiarch folder) is kept: "sys/mman.h". */
static const char *public_header(Validator *V, FileInfo *fi) {
  if (fi->public_done) return fi->public_name;
  fi->public_done = true;
  FileInfo *p = fi;
  for (int guard = 0; guard < 64; guard++) {
    char *path = file_path(p->file);
    bool internal = internal_header(path);
    if (!internal || !p->parent) {
      const char *inc = strstr(path, "/include/");
      const char *rel = inc ? inc + 9 : base_name(path);
      const char *slash = strchr(rel, '/');
      if (slash && strstr(rel, "-linux-") && strstr(rel, "-linux-") < slash) rel = slash + 1;
      snprintf(fi->public_name, sizeof fi->public_name, "%s", rel);
      free(path);
      return fi->public_name;
    }
    free(path);
    p = file_info(V, p->parent);
  }
  return fi->public_name;
}

/* ---------------------------------------------------------------- violations */

static void add_violation(Validator *V, CXSourceLocation loc, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_violation(Validator *V, CXSourceLocation loc, const char *rule, const char *fmt, ...) {
  CXFile f = NULL;
  unsigned line = 0, col = 0;
  clang_getFileLocation(loc, &f, &line, &col, NULL);
  V->v = grow(V->v, &V->cap_v, V->n_v + 1, sizeof *V->v);
  Violation *x = &V->v[V->n_v++];
  x->file = (!f || clang_File_isEqual(f, V->main_file)) ? dup_str(V->opt->file) : file_path(f);
  x->line = line;
  x->col = col;
  x->rule = rule;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  x->what = dup_str(buf);
}

static int violation_order(const void *a, const void *b) {
  const Violation *x = a, *y = b;
  int c = strcmp(x->file, y->file);
  if (c) return c;
  if (x->line != y->line) return x->line < y->line ? -1 : 1;
  if (x->col != y->col) return x->col < y->col ? -1 : 1;
  return strcmp(x->rule, y->rule);
}

static FileInfo *location_file(Validator *V, CXSourceLocation loc) {
  CXFile f = NULL;
  clang_getFileLocation(loc, &f, NULL, NULL, NULL);
  return file_info(V, f);
}

static bool in_user_file(Validator *V, CXCursor c) {
  FileInfo *fi = location_file(V, clang_getCursorLocation(c));
  return fi && fi->user;
}

/* ---------------------------------------------------------------- rule: header */

/* The spelling of the #include directive on the line of loc: '<' or '"' in *kind. */
static bool include_spelling(Validator *V, CXFile f, unsigned offset, char *out, size_t n, char *kind) {
  size_t size = 0;
  const char *text = clang_getFileContents(V->tu, f, &size);
  if (!text || offset > size) return false;
  size_t s = offset;
  while (s > 0 && text[s - 1] != '\n') s--;
  size_t e = offset;
  while (e < size && text[e] != '\n') e++;
  const char *p = text + s, *end = text + e;
  while (p < end && isspace((unsigned char)*p)) p++;
  if (p >= end || *p != '#') return false;
  p++;
  while (p < end && isspace((unsigned char)*p)) p++;
  while (p < end && isalpha((unsigned char)*p)) p++; /* include, include_next, import */
  if (p < end && *p == '_') return false;            /* include_next: never allowed */
  while (p < end && isspace((unsigned char)*p)) p++;
  if (p >= end || (*p != '<' && *p != '"')) return false;
  char close = *p == '<' ? '>' : '"';
  *kind = *p++;
  const char *q = p;
  while (q < end && *q != close) q++;
  if (q >= end || (size_t)(q - p) >= n) return false;
  memcpy(out, p, (size_t)(q - p));
  out[q - p] = 0;
  return true;
}

static void check_inclusion(CXFile included, CXSourceLocation *stack, unsigned len, CXClientData data) {
  Validator *V = data;
  if (len == 0) return; /* the main file itself */
  CXFile includer = NULL;
  unsigned offset = 0;
  clang_getFileLocation(stack[0], &includer, NULL, NULL, &offset);
  FileInfo *fi = file_info(V, included);
  if (fi && !fi->parent && !clang_File_isEqual(included, V->main_file)) fi->parent = includer;
  FileInfo *from = file_info(V, includer);
  if (!from || !from->user) return; /* system headers include what they like */
  char spelled[512], kind = 0;
  char *path = file_path(included);
  bool ok = false;
  if (!include_spelling(V, includer, offset, spelled, sizeof spelled, &kind)) {
    add_violation(V, stack[0], "header", "#include of '%s' by a computed or #include_next directive", path);
    free(path);
    return;
  }
  bool system = clang_Location_isInSystemHeader(clang_getLocationForOffset(V->tu, included, 0)) && !fi->user;
  char own_h[300];
  snprintf(own_h, sizeof own_h, "%s.h", V->name);
  if (fi->user) /* a header of the bundle */
    ok = kind == '"' && (strcmp(spelled, own_h) == 0 || strcmp(spelled, "vitc_runtime.h") == 0 ||
                         strcmp(spelled, "vitc_pool.h") == 0);
  else if (system)
    ok = kind == '<' && (in_list(V->allowed_headers, spelled) ||
                         (!V->harness && V->intrin_header && strcmp(spelled, V->intrin_header) == 0));
  if (!ok) {
    if (fi->user)
      add_violation(V, stack[0], "header", "#include \"%s\": a bundle file may include only %s and vitc_runtime.h",
                    spelled, own_h);
    else
      add_violation(V, stack[0], "header", "#include %c%s%c is not an allowed header (%s)", kind, spelled,
                    kind == '<' ? '>' : '"', path);
  }
  free(path);
}

/* ---------------------------------------------------------------- rules on declarations */

static char *cursor_name(CXCursor c) {
  CXString s = clang_getCursorSpelling(c);
  char *r = dup_str(clang_getCString(s) ? clang_getCString(s) : "");
  clang_disposeString(s);
  return r;
}

static bool type_is_const_object(CXType t) {
  t = clang_getCanonicalType(t);
  if (clang_isConstQualifiedType(t)) return true; /* const T[n] keeps its const on the array */
  switch (t.kind) {
  case CXType_ConstantArray:
  case CXType_IncompleteArray:
  case CXType_VariableArray:
  case CXType_DependentSizedArray:
    return type_is_const_object(clang_getArrayElementType(t));
  default:
    return clang_isConstQualifiedType(t);
  }
}

static bool type_has_vla(CXType t) {
  t = clang_getCanonicalType(t);
  switch (t.kind) {
  case CXType_VariableArray:
    return true;
  case CXType_ConstantArray:
  case CXType_IncompleteArray:
    return type_has_vla(clang_getArrayElementType(t));
  default:
    return false;
  }
}

static bool has_prefix(Validator *V, const char *sym) {
  size_t n = strlen(V->name);
  return strncmp(sym, V->name, n) == 0 && (sym[n] == 0 || sym[n] == '_');
}

/* A declaration (not a definition) of a vitc_ symbol in a runtime header shipped
 * with every bundle (vitc_pool.h: the thread pool of --threads bundles, whose
 * vitc_pool_* functions are shared by all bundles of a program by design). */
static bool runtime_interface(Validator *V, CXCursor c) {
  if (clang_isCursorDefinition(c)) return false;
  FileInfo *fi = location_file(V, clang_getCursorLocation(c));
  if (!fi) return false;
  char *path = file_path(fi->file);
  bool shared = strcmp(base_name(path), "vitc_runtime.h") == 0 || strcmp(base_name(path), "vitc_pool.h") == 0;
  free(path);
  char *n = cursor_name(c);
  bool ok = shared && starts_with(n, "vitc_");
  free(n);
  return ok;
}

static void check_declaration(Validator *V, CXCursor c) {
  enum CXCursorKind k = clang_getCursorKind(c);
  CXSourceLocation loc = clang_getCursorLocation(c);
  if (k == CXCursor_VarDecl || k == CXCursor_FunctionDecl) {
    if (clang_getCursorLinkage(c) == CXLinkage_External && !runtime_interface(V, c)) {
      char *n = cursor_name(c);
      if (!has_prefix(V, n) && !(V->harness && strcmp(n, "main") == 0))
        add_violation(V, loc, "symbol-prefix", "external %s '%s' does not start with '%s_'",
                      k == CXCursor_VarDecl ? "object" : "function", n, V->name);
      free(n);
    }
  }
  if (k == CXCursor_VarDecl) {
    CXCursor parent = clang_getCursorSemanticParent(c);
    enum CX_StorageClass sc = clang_Cursor_getStorageClass(c);
    bool file_scope = clang_getCursorKind(parent) == CXCursor_TranslationUnit;
    bool static_storage = file_scope || sc == CX_SC_Static || sc == CX_SC_Extern;
    if (static_storage && !V->harness && !type_is_const_object(clang_getCursorType(c))) {
      char *n = cursor_name(c);
      CXString ts = clang_getTypeSpelling(clang_getCursorType(c));
      add_violation(V, loc, "no-writable-static", "%s '%s' of type '%s' is writable static storage",
                    file_scope ? (sc == CX_SC_Extern ? "extern object" : "file-scope object")
                               : (sc == CX_SC_Extern ? "extern local" : "static local"),
                    n, clang_getCString(ts));
      clang_disposeString(ts);
      free(n);
    }
  }
  if (k == CXCursor_VarDecl || k == CXCursor_TypedefDecl || k == CXCursor_FieldDecl) {
    CXType t = k == CXCursor_TypedefDecl ? clang_getTypedefDeclUnderlyingType(c) : clang_getCursorType(c);
    if (type_has_vla(t)) {
      char *n = cursor_name(c);
      CXString ts = clang_getTypeSpelling(t);
      add_violation(V, loc, "no-vla", "'%s' is a variable length array '%s'", n, clang_getCString(ts));
      clang_disposeString(ts);
      free(n);
    }
  }
}

/* ---------------------------------------------------------------- rules on references */

static int func_node(Validator *V, CXCursor decl) {
  CXString u = clang_getCursorUSR(decl);
  const char *usr = clang_getCString(u);
  for (int i = 0; i < V->n_funcs; i++)
    if (strcmp(V->funcs[i].usr, usr) == 0) {
      clang_disposeString(u);
      return i;
    }
  V->funcs = grow(V->funcs, &V->cap_funcs, V->n_funcs + 1, sizeof *V->funcs);
  FuncNode *f = &V->funcs[V->n_funcs];
  f->usr = dup_str(usr);
  f->name = cursor_name(decl);
  CXString ts = clang_getTypeSpelling(clang_getCanonicalType(clang_getCursorType(decl)));
  f->type = dup_str(clang_getCString(ts));
  clang_disposeString(ts);
  f->index = -1;
  clang_disposeString(u);
  return V->n_funcs++;
}

static Arch builtin_arch(const char *n) {
  if (starts_with(n, "__builtin_ia32_")) return ARCH_X86;
  if (starts_with(n, "__builtin_neon_") || starts_with(n, "__builtin_arm_") || starts_with(n, "__builtin_aarch64_"))
    return ARCH_ARM;
  return ARCH_NONE;
}

static const char *arch_name(Arch a) { return a == ARCH_X86 ? "x86" : a == ARCH_ARM ? "Arm" : "no"; }

/* An intrinsic (function or macro) declared in intrinsics header fi. */
static void check_intrinsic(Validator *V, CXSourceLocation loc, const char *what, const char *n, FileInfo *fi) {
  char *path = file_path(fi->file);
  const char *h = base_name(path);
  if (!V->isa_headers || !in_list(V->isa_headers, h))
    add_violation(V, loc, "intrinsic-isa", "%s '%s' is declared in %s, which is not in target %s's ISA", what, n, h,
                  V->opt->target);
  free(path);
}

static void check_reference(Validator *V, CXCursor ref, CXCursor decl) {
  enum CXCursorKind dk = clang_getCursorKind(decl);
  if (dk != CXCursor_FunctionDecl && dk != CXCursor_VarDecl) return;
  if (dk == CXCursor_VarDecl && clang_getCursorKind(clang_getCursorSemanticParent(decl)) != CXCursor_TranslationUnit &&
      clang_Cursor_getStorageClass(decl) != CX_SC_Extern)
    return; /* a local or parameter */
  CXSourceLocation loc = clang_getCursorLocation(ref);
  char *n = cursor_name(decl);
  const char *plain = starts_with(n, "__builtin_") ? n + 10 : n;
  const char *what = dk == CXCursor_FunctionDecl ? "call to" : "use of";
  FileInfo *fi = location_file(V, clang_getCursorLocation(decl));
  Arch ba = builtin_arch(n);
  CXCursor def = dk == CXCursor_FunctionDecl ? clang_getCursorDefinition(decl) : clang_getNullCursor();
  bool ours = !clang_Cursor_isNull(def) && in_user_file(V, def); /* defined in the bundle: names mean nothing */

  if (ours) {
  } else if (dk == CXCursor_FunctionDecl && in_list(stack_alloc_functions, n))
    add_violation(V, loc, "no-vla", "call to '%s' (dynamic stack allocation)", n);
  else if (!V->harness && in_list(alloc_functions, plain))
    add_violation(V, loc, "no-malloc", "%s '%s'", what, n);
  else if (!V->harness && in_list(io_functions, plain) && (!fi || fi->user || !fi->intrinsics))
    add_violation(V, loc, "no-io", "%s '%s'", what, n);
  else if (ba != ARCH_NONE) {
    if (ba != V->arch)
      add_violation(V, loc, "intrinsic-isa", "call to '%s', a %s builtin, in a file for target %s", n, arch_name(ba),
                    V->opt->target);
  } else if (n != plain) {
    /* A generic builtin (__builtin_inff): clang declares it where first used,
     * often inside an intrinsics header, so its place means nothing. */
  } else if (fi && fi->intrinsics)
    check_intrinsic(V, loc, what, n, fi);
  else if (fi && !fi->user) {
    const char *h = public_header(V, fi);
    const char *b = base_name(h);
    bool allowed = in_list(V->allowed_headers, h);
    if (!allowed && !V->harness && (in_list(io_headers, h) || starts_with(h, "sys/") || in_list(io_headers, b)))
      add_violation(V, loc, "no-io", "%s '%s' from <%s>", what, n, h);
    else if (!allowed && !in_list(V->allowed_headers, b))
      add_violation(V, loc, "header-use", "%s '%s' declared in <%s>, which is not an allowed header", what, n, h);
  } else if (!fi || fi->user) {
    /* Declared in the bundle or implicitly: an intrinsic by name is still one. */
    if (starts_with(n, "_mm") && V->arch != ARCH_X86)
      add_violation(V, loc, "intrinsic-isa", "call to x86 intrinsic '%s' in a file for target %s", n, V->opt->target);
  }

  /* The call graph, for no-recursion: only functions defined in bundle files. */
  if (ours) {
    int to = func_node(V, def);
    V->funcs[to].refs++;
    if (V->current_func >= 0) {
      FuncNode *f = &V->funcs[V->current_func];
      f->edges = grow(f->edges, &f->cap_edges, f->n_edges + 1, sizeof *f->edges);
      CXFile file = NULL;
      unsigned line = 0, col = 0;
      clang_getFileLocation(loc, &file, &line, &col, NULL);
      f->edges[f->n_edges++] = (CallEdge){to, line, col, file, NULL};
    }
  }
  free(n);
}

static enum CXChildVisitResult first_child(CXCursor c, CXCursor parent, CXClientData data) {
  (void)parent;
  *(CXCursor *)data = c;
  return CXChildVisit_Break;
}

/* A call: direct ones count against the callee's references (the rest take its
 * address); a call through a pointer may reach any function of the called type
 * whose address is taken. */
static void check_call(Validator *V, CXCursor call) {
  CXCursor callee = clang_getCursorReferenced(call);
  if (!clang_Cursor_isNull(callee) && clang_getCursorKind(callee) == CXCursor_FunctionDecl) {
    CXCursor def = clang_getCursorDefinition(callee);
    if (!clang_Cursor_isNull(def) && in_user_file(V, def)) V->funcs[func_node(V, def)].direct_calls++;
    return;
  }
  if (V->current_func < 0) return;
  FuncNode *f = &V->funcs[V->current_func];
  f->indirect = grow(f->indirect, &f->cap_indirect, f->n_indirect + 1, sizeof *f->indirect);
  CXFile file = NULL;
  unsigned line = 0, col = 0;
  clang_getFileLocation(clang_getCursorLocation(call), &file, &line, &col, NULL);
  CXCursor callee_expr = clang_getNullCursor();
  clang_visitChildren(call, first_child, &callee_expr);
  CXType t = clang_getCanonicalType(clang_getCursorType(callee_expr));
  if (t.kind == CXType_Pointer) t = clang_getCanonicalType(clang_getPointeeType(t));
  CXString ts = clang_getTypeSpelling(t);
  f->indirect[f->n_indirect++] = (CallEdge){-1, line, col, file, dup_str(clang_getCString(ts))};
  clang_disposeString(ts);
}

static void check_macro(Validator *V, CXCursor c) {
  CXCursor def = clang_getCursorReferenced(c);
  if (clang_Cursor_isNull(def)) return;
  FileInfo *fi = location_file(V, clang_getCursorLocation(def));
  /* Only function-like macros are instructions; constants such as
   * _MM_FROUND_TO_NEAREST_INT are defined again by several headers. */
  if (!fi || !fi->intrinsics || !clang_Cursor_isMacroFunctionLike(def)) return;
  char *n = cursor_name(c);
  if (!starts_with(n, "__")) check_intrinsic(V, clang_getCursorLocation(c), "macro", n, fi);
  free(n);
}

/* ---------------------------------------------------------------- the walk */

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, CXClientData data);

static void walk_function(Validator *V, CXCursor c) {
  int saved = V->current_func;
  V->current_func = func_node(V, c);
  V->funcs[V->current_func].defined = true;
  clang_visitChildren(c, visit, V);
  V->current_func = saved;
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, CXClientData data) {
  Validator *V = data;
  (void)parent;
  if (!in_user_file(V, c)) return CXChildVisit_Continue; /* system headers are not ours to judge */
  enum CXCursorKind k = clang_getCursorKind(c);
  switch (k) {
  case CXCursor_MacroExpansion:
    check_macro(V, c);
    return CXChildVisit_Continue;
  case CXCursor_InclusionDirective:
  case CXCursor_MacroDefinition:
    return CXChildVisit_Continue;
  case CXCursor_FunctionDecl:
    check_declaration(V, c);
    if (clang_isCursorDefinition(c)) {
      walk_function(V, c);
      return CXChildVisit_Continue;
    }
    return CXChildVisit_Recurse;
  case CXCursor_VarDecl:
  case CXCursor_TypedefDecl:
  case CXCursor_FieldDecl:
    check_declaration(V, c);
    return CXChildVisit_Recurse;
  case CXCursor_CallExpr:
    check_call(V, c);
    return CXChildVisit_Recurse;
  case CXCursor_DeclRefExpr: {
    CXCursor d = clang_getCursorReferenced(c);
    if (!clang_Cursor_isNull(d)) check_reference(V, c, d);
    return CXChildVisit_Recurse;
  }
  case CXCursor_AsmStmt:
  case CXCursor_MSAsmStmt:
    /* Instructions in a string cannot be checked against the target's ISA. */
    add_violation(V, clang_getCursorLocation(c), "intrinsic-isa", "inline assembly (its instructions cannot be checked)");
    return CXChildVisit_Continue;
  case CXCursor_StringLiteral:
  case CXCursor_IntegerLiteral:
  case CXCursor_FloatingLiteral:
    return CXChildVisit_Continue; /* weights: nothing inside */
  default:
    return CXChildVisit_Recurse;
  }
}

/* ---------------------------------------------------------------- rule: no-recursion */

static void tarjan(Validator *V, int v, int *counter, int *stack, int *sp, int *n_scc) {
  FuncNode *f = &V->funcs[v];
  f->index = f->low = (*counter)++;
  stack[(*sp)++] = v;
  f->on_stack = true;
  for (int e = 0; e < V->funcs[v].n_edges; e++) {
    int w = V->funcs[v].edges[e].to;
    if (V->funcs[w].index < 0) {
      tarjan(V, w, counter, stack, sp, n_scc);
      if (V->funcs[w].low < V->funcs[v].low) V->funcs[v].low = V->funcs[w].low;
    } else if (V->funcs[w].on_stack && V->funcs[w].index < V->funcs[v].low)
      V->funcs[v].low = V->funcs[w].index;
  }
  if (V->funcs[v].low == V->funcs[v].index) {
    int w;
    do {
      w = stack[--(*sp)];
      V->funcs[w].on_stack = false;
      V->funcs[w].scc = *n_scc;
    } while (w != v);
    (*n_scc)++;
  }
}

static void check_recursion(Validator *V) {
  int n = V->n_funcs, counter = 0, sp = 0, n_scc = 0;
  if (n <= 0) return;
  /* A call through a pointer is an edge to every function whose address is taken. */
  for (int i = 0; i < n; i++)
    for (int k = 0; k < V->funcs[i].n_indirect; k++)
      for (int j = 0; j < n; j++) {
        if (!V->funcs[j].defined || V->funcs[j].refs <= V->funcs[j].direct_calls) continue;
        if (strcmp(V->funcs[j].type, V->funcs[i].indirect[k].type) != 0) continue;
        FuncNode *f = &V->funcs[i];
        f->edges = grow(f->edges, &f->cap_edges, f->n_edges + 1, sizeof *f->edges);
        f->edges[f->n_edges] = f->indirect[k];
        f->edges[f->n_edges++].to = j;
      }
  int *stack = calloc((size_t)n, sizeof *stack);
  int *scc_size = calloc((size_t)n, sizeof *scc_size);
  for (int i = 0; i < n; i++)
    if (V->funcs[i].index < 0) tarjan(V, i, &counter, stack, &sp, &n_scc);
  for (int i = 0; i < n; i++) scc_size[V->funcs[i].scc]++;
  for (int i = 0; i < n; i++) {
    FuncNode *f = &V->funcs[i];
    for (int e = 0; e < f->n_edges; e++) {
      FuncNode *g = &V->funcs[f->edges[e].to];
      if (g->scc != f->scc || (scc_size[f->scc] == 1 && g != f)) continue;
      char cycle[512] = "";
      size_t len = 0;
      for (int j = 0; j < n && len + 80 < sizeof cycle; j++)
        if (V->funcs[j].scc == f->scc)
          len += (size_t)snprintf(cycle + len, sizeof cycle - len, "%s%s", len ? ", " : "", V->funcs[j].name);
      CXSourceLocation loc = clang_getLocation(V->tu, f->edges[e].file, f->edges[e].line, f->edges[e].col);
      if (g == f)
        add_violation(V, loc, "no-recursion", "'%s' calls itself", f->name);
      else
        add_violation(V, loc, "no-recursion", "'%s' calls '%s' in a call cycle of {%s}", f->name, g->name, cycle);
    }
  }
  free(stack);
  free(scc_size);
}

/* ---------------------------------------------------------------- rule: diagnostic */

static void check_diagnostics(Validator *V) {
  unsigned n = clang_getNumDiagnostics(V->tu);
  for (unsigned i = 0; i < n; i++) {
    CXDiagnostic d = clang_getDiagnostic(V->tu, i);
    enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
    if (sev >= CXDiagnostic_Warning) {
      CXString text = clang_getDiagnosticSpelling(d);
      CXString opt = clang_getDiagnosticOption(d, NULL);
      const char *o = clang_getCString(opt);
      add_violation(V, clang_getDiagnosticLocation(d), "diagnostic", "%s: %s%s%s%s",
                    sev >= CXDiagnostic_Error ? "error" : "warning", clang_getCString(text), o && *o ? " [" : "",
                    o && *o ? o : "", o && *o ? "]" : "");
      clang_disposeString(opt);
      clang_disposeString(text);
    }
    clang_disposeDiagnostic(d);
  }
}

/* A warning switched off in the file would hide exactly what the diagnostic rule
 * is for; the one generated code needs is -Woverlength-strings (weights). */
static void check_pragmas_in(Validator *V, CXFile file) {
  size_t size = 0;
  const char *text = clang_getFileContents(V->tu, file, &size);
  if (!text) return;
  unsigned line = 1;
  for (size_t i = 0; i < size; i++) {
    if (text[i] == '\n') {
      line++;
      continue;
    }
    if (i != 0 && text[i - 1] != '\n') continue;
    size_t e = i;
    while (e < size && text[e] != '\n') e++;
    char buf[512];
    size_t n = e - i < sizeof buf - 1 ? e - i : sizeof buf - 1;
    memcpy(buf, text + i, n);
    buf[n] = 0;
    char *cut = strstr(buf, "/*");
    if (cut) *cut = 0;
    for (size_t t = strlen(buf); t > 0 && isspace((unsigned char)buf[t - 1]); t--) buf[t - 1] = 0;
    const char *p = buf;
    while (isspace((unsigned char)*p)) p++;
    if ((*p == '#' && strstr(p, "pragma")) || strstr(p, "_Pragma")) {
      bool system_header = strstr(p, "system_header") != NULL;
      bool silences = strstr(p, "diagnostic") && (strstr(p, "ignored") || strstr(p, "warning\"")) &&
                      !strstr(p, "\"-Woverlength-strings\"");
      if (system_header || silences) {
        CXSourceLocation loc = clang_getLocation(V->tu, file, line, (unsigned)(p - buf) + 1);
        add_violation(V, loc, "diagnostic", "'%s' would hide warnings from this check", p);
      }
    }
    i = e - 1;
  }
}

static void check_pragmas(Validator *V) {
  int n = V->n_files; /* the list is complete after clang_getInclusions */
  for (int i = 0; i < n; i++)
    if (V->files[i]->user) check_pragmas_in(V, V->files[i]->file);
}

/* ---------------------------------------------------------------- driver */

static int set_target(Validator *V, const Target *t, const char **triple, char *march, size_t n) {
  march[0] = 0;
  V->isa_headers = t->intrin_isa;
  if (!*triple) *triple = t->triple; /* NULL (scalar): the host's */
  V->arch = !t->triple ? ARCH_NONE : starts_with(t->triple, "x86_64") ? ARCH_X86 : ARCH_ARM;
  if (V->arch == ARCH_ARM && starts_with(*triple, "arm")) snprintf(march, n, "-march=armv7-a -mfpu=neon -mfloat-abi=hard");
  V->intrin_header = t->intrin_header;
  return 0;
}

static bool exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static bool looks_like_harness(const char *path) {
  size_t n = strlen(path);
  if (n < 7 || strcmp(path + n - 7, "_main.c") != 0) return false;
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  char head[1024];
  size_t got = fread(head, 1, sizeof head - 1, f);
  fclose(f);
  head[got] = 0;
  return strstr(head, "command-line harness") != NULL;
}

int validate_file(const ValidateOptions *o, FILE *out) {
  const Target *t = target_find(o->target);
  if (!t && strcmp(o->target, "native") == 0) {
    char why[256]; /* the same row `vitc compile --target native` picks on this machine */
    t = target_native(why, sizeof why);
  }
  if (!t) {
    fprintf(stderr, "vitc: error: unknown target '%s' (known: %s, native)\n", o->target, target_names());
    return -1;
  }
  FILE *probe = fopen(o->file, "rb");
  if (!probe) {
    fprintf(stderr, "vitc: error: cannot read '%s': %s\n", o->file, strerror(errno));
    return -1;
  }
  fclose(probe);

  Validator V = {0};
  V.opt = o;
  V.current_func = -1;
  V.harness = o->harness >= 0 ? o->harness : looks_like_harness(o->file);
  V.allowed_headers = V.harness ? harness_headers : model_headers;
  /* The prefix: --name, else the file stem (NAME.c, NAME_main.c for the harness). */
  char stem[256];
  snprintf(stem, sizeof stem, "%s", base_name(o->file));
  char *dot = strrchr(stem, '.');
  if (dot) *dot = 0;
  size_t sl = strlen(stem);
  if (V.harness && sl > 5 && strcmp(stem + sl - 5, "_main") == 0) stem[sl - 5] = 0;
  V.name = o->name ? o->name : stem;
  dir_of(o->file, V.bundle_dir, sizeof V.bundle_dir);

  const char *triple = o->triple;
  char march[128];
  set_target(&V, t, &triple, march, sizeof march);

  /* Arguments: C99 with the warnings of the contract, for the target's triple
   * and -m flags, with the cross libc headers when checking for another arch. */
  const char *args[64];
  int na = 0;
  char target_arg[128], cflags[256], cross_inc[256];
  args[na++] = "-x";
  args[na++] = "c";
  args[na++] = "-std=c99";
  args[na++] = "-Wall";
  args[na++] = "-Wextra";
  args[na++] = "-pedantic";
  if (triple) {
    snprintf(target_arg, sizeof target_arg, "--target=%s", triple);
    args[na++] = target_arg;
    snprintf(cross_inc, sizeof cross_inc, "/usr/%s/include", triple);
    if (exists(cross_inc)) {
      args[na++] = "-isystem";
      args[na++] = cross_inc;
    }
  }
  snprintf(cflags, sizeof cflags, "%s %s", t->cflags, march);
  for (char *tok = strtok(cflags, " "); tok && na < 56; tok = strtok(NULL, " ")) args[na++] = tok;
  if (VITC_CLANG_RESOURCE_DIR[0] && exists(VITC_CLANG_RESOURCE_DIR)) {
    args[na++] = "-resource-dir";
    args[na++] = VITC_CLANG_RESOURCE_DIR;
  }

  CXIndex index = clang_createIndex(0, 0);
  unsigned flags = CXTranslationUnit_DetailedPreprocessingRecord | CXTranslationUnit_KeepGoing;
  enum CXErrorCode err = clang_parseTranslationUnit2(index, o->file, args, na, NULL, 0, flags, &V.tu);
  if (err != CXError_Success || !V.tu) {
    fprintf(stderr, "vitc: error: libclang could not parse '%s' (error %d)\n", o->file, (int)err);
    clang_disposeIndex(index);
    return -1;
  }
  V.main_file = clang_getFile(V.tu, o->file);
  file_info(&V, V.main_file);

  clang_getInclusions(V.tu, check_inclusion, &V);
  check_diagnostics(&V);
  check_pragmas(&V);
  clang_visitChildren(clang_getTranslationUnitCursor(V.tu), visit, &V);
  check_recursion(&V);

  if (V.n_v > 1) qsort(V.v, (size_t)V.n_v, sizeof *V.v, violation_order); /* none: V.v is NULL */
  for (int i = 0; i < V.n_v; i++)
    fprintf(out, "%s:%u:%u: %s: %s\n", V.v[i].file, V.v[i].line, V.v[i].col, V.v[i].rule, V.v[i].what);
  int count = V.n_v;

  for (int i = 0; i < V.n_v; i++) {
    free(V.v[i].file);
    free(V.v[i].what);
  }
  free(V.v);
  for (int i = 0; i < V.n_funcs; i++) {
    free(V.funcs[i].usr);
    free(V.funcs[i].name);
    free(V.funcs[i].edges);
    for (int k = 0; k < V.funcs[i].n_indirect; k++) free(V.funcs[i].indirect[k].type);
    free(V.funcs[i].indirect);
    free(V.funcs[i].type);
  }
  free(V.funcs);
  for (int i = 0; i < V.n_files; i++) free(V.files[i]);
  free(V.files);
  clang_disposeTranslationUnit(V.tu);
  clang_disposeIndex(index);
  return count;
}

static void validate_usage(FILE *f) {
  fprintf(f, "usage: vitc validate FILE.c --target T [--triple TRIPLE] [--name NAME] [--harness]\n"
             "checks a generated file against the generated-code contract (docs/validate.md);\n"
             "prints FILE:LINE:COL: RULE: what, one line per violation; exit 0 clean, 1 violations\n");
}

int validate_main(int argc, char **argv) {
  ValidateOptions o = {NULL, NULL, NULL, NULL, -1};
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    const char **dst = strcmp(s, "--target") == 0   ? &o.target
                       : strcmp(s, "--triple") == 0 ? &o.triple
                       : strcmp(s, "--name") == 0   ? &o.name
                                                    : NULL;
    if (dst) {
      if (i + 1 >= argc) return validate_usage(stderr), 2;
      *dst = argv[++i];
    } else if (starts_with(s, "--target=")) o.target = s + 9;
    else if (starts_with(s, "--triple=")) o.triple = s + 9;
    else if (starts_with(s, "--name=")) o.name = s + 7;
    else if (strcmp(s, "--harness") == 0) o.harness = 1;
    else if (strcmp(s, "--no-harness") == 0) o.harness = 0;
    else if (s[0] == '-' && s[1]) {
      fprintf(stderr, "vitc validate: unknown option '%s'\n", s);
      return validate_usage(stderr), 2;
    } else if (!o.file) o.file = s;
    else {
      fprintf(stderr, "vitc validate: unexpected argument '%s'\n", s);
      return validate_usage(stderr), 2;
    }
  }
  if (!o.file) return fprintf(stderr, "vitc validate: no file given\n"), validate_usage(stderr), 2;
  if (!o.target) o.target = "scalar";
  int n = validate_file(&o, stdout);
  if (n < 0) return 1;
  if (n > 0) fprintf(stderr, "vitc validate: %d violation%s in %s\n", n, n == 1 ? "" : "s", o.file);
  return n ? 1 : 0;
}
