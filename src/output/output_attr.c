/* Attributes of the output file. Strings are variable-length UTF-8 so that
 * h5py reads them as str and the job text has no 64 KiB object-header limit
 * (variable-length data live in the global heap, written once at creation). */
#include <stdlib.h>
#include <string.h>

#include "output_internal.h"

static hid_t vlstr(void)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

catex_status out_attr_strings(hid_t obj, const char *name, const char *const *values, int n, catex_error *err)
{
  hsize_t dim = (hsize_t)(n > 0 ? n : 0);
  hid_t t = vlstr();
  hid_t s = n < 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
  hid_t a = (t >= 0 && s >= 0) ? H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT) : -1;
  herr_t w = a >= 0 && (n != 0) ? H5Awrite(a, t, values) : 0;
  if (a >= 0) H5Aclose(a);
  if (s >= 0) H5Sclose(s);
  if (t >= 0) H5Tclose(t);
  if (a < 0 || w < 0) return catex_error_set(err, CATEX_ERR_IO, "cannot write HDF5 attribute '%s'", name);
  return CATEX_OK;
}

catex_status out_attr_string(hid_t obj, const char *name, const char *value, catex_error *err)
{
  const char *v[1] = {value ? value : ""};
  return out_attr_strings(obj, name, v, -1, err); /* n < 0: scalar */
}

catex_status out_attr_long(hid_t obj, const char *name, long value, catex_error *err)
{
  long long v = value;
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = s >= 0 ? H5Acreate2(obj, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT) : -1;
  herr_t w = a >= 0 ? H5Awrite(a, H5T_NATIVE_LLONG, &v) : -1;
  if (a >= 0) H5Aclose(a);
  if (s >= 0) H5Sclose(s);
  if (w < 0) return catex_error_set(err, CATEX_ERR_IO, "cannot write HDF5 attribute '%s'", name);
  return CATEX_OK;
}

catex_status out_attr_read_string(hid_t obj, const char *name, char **value, catex_error *err)
{
  *value = NULL;
  if (H5Aexists(obj, name) <= 0) return catex_error_set(err, CATEX_ERR_IO, "attribute '%s' is missing", name);
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t ft = a >= 0 ? H5Aget_type(a) : -1;
  hid_t t = vlstr();
  char *v = NULL;
  herr_t r = -1;
  if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0 && t >= 0) r = H5Aread(a, t, &v);
  catex_status st = CATEX_OK;
  if (r < 0 || !v) {
    st = catex_error_set(err, CATEX_ERR_IO, "attribute '%s' is not a readable string", name);
  } else {
    *value = strdup(v);
    if (!*value) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  }
  if (v) H5free_memory(v);
  if (t >= 0) H5Tclose(t);
  if (ft >= 0) H5Tclose(ft);
  if (a >= 0) H5Aclose(a);
  return st;
}

catex_status out_attr_read_long(hid_t obj, const char *name, long *value, catex_error *err)
{
  if (H5Aexists(obj, name) <= 0) return catex_error_set(err, CATEX_ERR_IO, "attribute '%s' is missing", name);
  long long v = 0;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  herr_t r = a >= 0 ? H5Aread(a, H5T_NATIVE_LLONG, &v) : -1;
  if (a >= 0) H5Aclose(a);
  if (r < 0) return catex_error_set(err, CATEX_ERR_IO, "attribute '%s' is not a readable integer", name);
  *value = (long)v;
  return CATEX_OK;
}
