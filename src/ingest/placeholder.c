/* ingest layer: placeholder so the library is never empty. */
int vg__ingest_placeholder;
