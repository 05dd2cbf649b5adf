/*
 * A real TFLite external delegate for camviz's tests: it loads through TFLite's
 * external-delegate interface (tflite_plugin_create_delegate /
 * tflite_plugin_destroy_delegate, what ai-edge-litert's load_delegate calls), is
 * applied by the interpreter (Prepare runs), and claims no operator, so the model
 * still runs on the CPU kernels and its answers can be compared with theirs.
 *
 * Options: log=PATH appends what happens (each option, "prepare", "destroy") to PATH;
 * fail=1 makes creation fail, as a delegate whose device is missing does.
 *
 * Built by the tests with:  cc -shared -fPIC -o libpassthrough_delegate.so passthrough_delegate.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TfLiteDelegate's leading fields (tensorflow/lite/core/c/common.h); the struct is
 * allocated zeroed and larger, so fields a newer runtime adds at the end read as 0. */
typedef struct Delegate {
  void* data_;
  int (*Prepare)(void* context, struct Delegate* delegate);
  int (*CopyFromBufferHandle)(void* context, struct Delegate* delegate, int handle, void* tensor);
  int (*CopyToBufferHandle)(void* context, struct Delegate* delegate, int handle, void* tensor);
  void (*FreeBufferHandle)(void* context, struct Delegate* delegate, int* handle);
  int64_t flags;
  void* opaque_delegate_builder;
} Delegate;

enum { kOk = 0, kAllocated = 512 };

static void note(const Delegate* delegate, const char* what) {
  const char* path = (const char*)delegate->data_;
  if (path == NULL) return;
  FILE* log = fopen(path, "a");
  if (log == NULL) return;
  fprintf(log, "%s\n", what);
  fclose(log);
}

static int prepare(void* context, Delegate* delegate) {
  (void)context;
  note(delegate, "prepare");
  return kOk; /* claims no node: every operator stays on the CPU kernels */
}

Delegate* tflite_plugin_create_delegate(char** keys, char** values, size_t count,
                                        void (*report_error)(const char*)) {
  const char* log_path = NULL;
  int fail = 0;
  for (size_t i = 0; i < count; ++i) {
    if (strcmp(keys[i], "log") == 0) log_path = values[i];
    if (strcmp(keys[i], "fail") == 0 && strcmp(values[i], "1") == 0) fail = 1;
  }
  if (fail) {
    if (report_error != NULL) report_error("passthrough delegate: fail=1 was asked for");
    return NULL;
  }
  Delegate* delegate = (Delegate*)calloc(1, kAllocated);
  if (delegate == NULL) return NULL;
  if (log_path != NULL) {
    char* copy = (char*)malloc(strlen(log_path) + 1);
    if (copy != NULL) strcpy(copy, log_path);
    delegate->data_ = copy;
  }
  delegate->Prepare = prepare;
  for (size_t i = 0; i < count; ++i) {
    char line[512];
    snprintf(line, sizeof line, "option %s=%s", keys[i], values[i]);
    note(delegate, line);
  }
  return delegate;
}

void tflite_plugin_destroy_delegate(Delegate* delegate) {
  if (delegate == NULL) return;
  note(delegate, "destroy");
  free(delegate->data_);
  free(delegate);
}
