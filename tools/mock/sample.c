/* Deterministic sample datasets (see sample.h). */
#include "sample.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rng {
    unsigned long long s;
} rng;

static unsigned next_u32(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (unsigned)(r->s >> 16);
}

static unsigned pick(rng *r, unsigned n)
{
    return next_u32(r) % n;
}

static const char *const adjectives[] = {"Old", "Red", "Iron", "Golden", "Black", "Wild", "Stone", "River",
                                         "Mountain", "Copper", "Silver", "Lucky", "Rusty", "Blue", "North",
                                         "Hidden", "Crooked", "Salty", "Twin", "Big"};
static const char *const nouns[] = {"Oak", "Barrel", "Anchor", "Fox", "Bear", "Hop", "Mill", "Bridge",
                                    "Harbor", "Raven", "Owl", "Valley", "Creek", "Pine", "Rock"};
static const char *const suffixes[] = {"Brewing", "Brewery", "Beer Company", "Ales", "Brewing Co."};
static const struct {
    const char *city, *state, *country, *code;
    double lat, lon;
} places[] = {
    {"Portland", "Oregon", "United States", "97201", 45.52, -122.68},
    {"San Diego", "California", "United States", "92101", 32.72, -117.16},
    {"Denver", "Colorado", "United States", "80202", 39.74, -104.99},
    {"Asheville", "North Carolina", "United States", "28801", 35.60, -82.55},
    {"Munich", "Bavaria", "Germany", "80331", 48.14, 11.58},
    {"Brussels", "Brussels", "Belgium", "1000", 50.85, 4.35},
    {"Dublin", "Leinster", "Ireland", "D01", 53.35, -6.26},
    {"Burlington", "Vermont", "United States", "05401", 44.48, -73.21},
    {"Oslo", "Oslo", "Norway", "0150", 59.91, 10.75},
    {"Melbourne", "Victoria", "Australia", "3000", -37.81, 144.96},
};
static const struct {
    const char *style, *category;
    int abv_lo, abv_hi; /* tenths of a percent */
    int ibu_lo, ibu_hi;
} styles[] = {
    {"American-Style India Pale Ale", "North American Ale", 55, 75, 50, 70},
    {"American-Style Imperial Stout", "North American Ale", 80, 120, 50, 80},
    {"German-Style Pilsener", "German Lager", 42, 55, 25, 40},
    {"South German-Style Hefeweizen", "German Ale", 45, 58, 10, 15},
    {"Robust Porter", "Irish Ale", 48, 65, 25, 40},
    {"French & Belgian-Style Saison", "Belgian and French Ale", 50, 75, 20, 38},
    {"American-Style Amber/Red Ale", "North American Ale", 45, 60, 25, 40},
    {"American-Style Pale Ale", "North American Ale", 45, 60, 30, 50},
    {"American-Style Barley Wine Ale", "North American Ale", 85, 120, 60, 100},
    {"Belgian-Style White", "Belgian and French Ale", 45, 55, 10, 17},
    {"American-Style Brown Ale", "North American Ale", 40, 64, 25, 45},
    {"American-Style Lager", "North American Lager", 38, 50, 5, 13},
};
static const char *const beer_words[] = {"Hazy", "Double", "Imperial", "Session", "Dark", "Midnight", "Summer",
                                         "Winter", "Harvest", "Smoked", "Citrus", "Honey", "Golden", "Foggy",
                                         "Rye", "Oatmeal", "Coffee", "Cherry", "Hoppy", "Lazy"};
static const char *const beer_nouns[] = {"IPA", "Stout", "Pils", "Weizen", "Porter", "Saison", "Red", "Pale",
                                         "Barleywine", "Wit", "Brown", "Lager"};

/* Lowercase, runs of non-alphanumerics become one '_'. */
static void slug(const char *in, char *out, size_t n)
{
    size_t o = 0;
    int sep = 0;
    for (const char *p = in; *p != '\0' && o + 2 < n; p++) {
        if (isalnum((unsigned char)*p)) {
            if (sep && o > 0) {
                out[o++] = '_';
            }
            out[o++] = (char)tolower((unsigned char)*p);
            sep = 0;
        } else {
            sep = 1;
        }
    }
    out[o] = '\0';
}

static int store_json(mock_bucket *b, const char *key, json_t *doc)
{
    char *s = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(doc);
    if (s == NULL) {
        return -1;
    }
    int rc = mock_bucket_store(b, key, strlen(key), s, strlen(s), MOCK_SAMPLE_JSON_FLAGS);
    free(s);
    return rc;
}

static json_t *brewery_doc(rng *r, const char *name, int idx)
{
    unsigned pl = pick(r, sizeof(places) / sizeof(places[0]));
    char phone[32], website[128], street[64], desc[256], id[96];
    slug(name, id, sizeof(id));
    snprintf(phone, sizeof(phone), "+1-555-%03u-%04u", pick(r, 1000), pick(r, 10000));
    snprintf(website, sizeof(website), "http://www.%s.example/", id);
    snprintf(street, sizeof(street), "%u %s Street", 1 + pick(r, 999), nouns[pick(r, sizeof(nouns) / sizeof(nouns[0]))]);
    snprintf(desc, sizeof(desc), "%s has brewed in %s since %u.", name, places[pl].city, 1850 + pick(r, 170));
    double lat = places[pl].lat + (double)((int)pick(r, 2001) - 1000) / 10000.0;
    double lon = places[pl].lon + (double)((int)pick(r, 2001) - 1000) / 10000.0;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:{s:s, s:f, s:f}, s:i}", "name",
                     name, "city", places[pl].city, "state", places[pl].state, "code", places[pl].code, "country",
                     places[pl].country, "phone", phone, "website", website, "type", "brewery", "updated",
                     "2010-07-22 20:00:20", "description", desc, "address", street, "geo", "accuracy", "ROOFTOP",
                     "lat", lat, "lon", lon, "brewery_no", idx);
}

static json_t *beer_doc(rng *r, const char *name, const char *brewery_id, unsigned style)
{
    int abv10 = styles[style].abv_lo + (int)pick(r, (unsigned)(styles[style].abv_hi - styles[style].abv_lo + 1));
    int ibu = styles[style].ibu_lo + (int)pick(r, (unsigned)(styles[style].ibu_hi - styles[style].ibu_lo + 1));
    char desc[256];
    snprintf(desc, sizeof(desc), "A %s brewed by %s.", styles[style].style, brewery_id);
    return json_pack("{s:s, s:f, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "name", name, "abv",
                     (double)abv10 / 10.0, "ibu", ibu, "srm", (int)pick(r, 40), "upc", 0, "type", "beer",
                     "brewery_id", brewery_id, "updated", "2010-07-22 20:00:20", "description", desc, "style",
                     styles[style].style, "category", styles[style].category);
}

static const char beers_ddoc[] =
    "{\"views\":{"
    "\"by_name\":{\"map\":\"function (doc, meta) {\\n  if (doc.type == \\\"beer\\\" && doc.name) {\\n"
    "    emit(doc.name, null);\\n  }\\n}\"},"
    "\"by_abv\":{\"map\":\"function (doc, meta) {\\n  if (doc.type == \\\"beer\\\" && typeof doc.abv == \\\"number\\\") {\\n"
    "    emit(doc.abv, doc.abv);\\n  }\\n}\",\"reduce\":\"_stats\"},"
    "\"count_by_type\":{\"map\":\"function (doc, meta) {\\n  if (doc.type) {\\n    emit(doc.type, null);\\n  }\\n}\","
    "\"reduce\":\"_count\"},"
    "\"by_brewery\":{\"map\":\"function (doc, meta) {\\n  if (doc.type == \\\"beer\\\") {\\n"
    "    emit([doc.brewery_id, doc.name], doc.abv);\\n  }\\n}\",\"reduce\":\"_count\"}"
    "}}";

static const char rows_ddoc[] =
    "{\"views\":{\"by_n\":{\"map\":\"function (doc, meta) {\\n  if (doc.type == \\\"row\\\") {\\n"
    "    emit(doc.n, null);\\n  }\\n}\",\"reduce\":\"_count\"}}}";

static long load_beers(mock_bucket *b)
{
    rng r = {0x5eed0f5fa1beefull};
    long count = 0;
    size_t na = sizeof(adjectives) / sizeof(adjectives[0]), nn = sizeof(nouns) / sizeof(nouns[0]);
    for (size_t i = 0; i < na * nn; i++) {
        char name[128], id[128];
        snprintf(name, sizeof(name), "%s %s %s", adjectives[i % na], nouns[i / na],
                 suffixes[(i * 7) % (sizeof(suffixes) / sizeof(suffixes[0]))]);
        slug(name, id, sizeof(id));
        if (store_json(b, id, brewery_doc(&r, name, (int)i)) != 0) {
            return -2;
        }
        count++;
        unsigned nbeers = 5 + pick(&r, 8), used = 0; /* names used by this brewery so far */
        char used_names[12][96];
        for (unsigned k = 0; k < nbeers; k++) {
            unsigned style = pick(&r, sizeof(styles) / sizeof(styles[0]));
            char beer[96], key[256];
            snprintf(beer, sizeof(beer), "%s %s", beer_words[pick(&r, sizeof(beer_words) / sizeof(beer_words[0]))],
                     beer_nouns[style]);
            int dup = 0;
            for (unsigned u = 0; u < used; u++) {
                dup |= strcmp(used_names[u], beer) == 0;
            }
            if (dup) {
                continue;
            }
            snprintf(used_names[used++], sizeof(used_names[0]), "%s", beer);
            char bslug[96];
            slug(beer, bslug, sizeof(bslug));
            snprintf(key, sizeof(key), "%s-%s", id, bslug);
            if (store_json(b, key, beer_doc(&r, beer, id, style)) != 0) {
                return -2;
            }
            count++;
        }
    }
    return count;
}

static long load_rows(mock_bucket *b, long n)
{
    static const char filler[] = "abcdefghijklmnopqrstuvwxyz012345";
    for (long i = 0; i < n; i++) {
        char key[32], doc[160];
        int nk = snprintf(key, sizeof(key), "row::%08ld", i);
        int nd = snprintf(doc, sizeof(doc), "{\"type\":\"row\",\"n\":%ld,\"even\":%s,\"payload\":\"%s\"}", i,
                          i % 2 == 0 ? "true" : "false", filler);
        if (mock_bucket_store(b, key, (size_t)nk, doc, (size_t)nd, MOCK_SAMPLE_JSON_FLAGS) != 0) {
            return -2;
        }
    }
    return n;
}

long mock_sample_load_into(mock_bucket *b, mock_views *v, const char *name)
{
    const char *ddoc_name, *ddoc;
    long n;
    if (strcmp(name, "beers") == 0) {
        ddoc_name = "beers";
        ddoc = beers_ddoc;
        n = load_beers(b);
    } else if (strncmp(name, "rows:", 5) == 0) {
        char *end = NULL;
        errno = 0;
        long want = strtol(name + 5, &end, 10);
        if (name[5] == '\0' || *end != '\0' || errno != 0 || want < 1 || want > MOCK_SAMPLE_MAX_ROWS) {
            return -1;
        }
        ddoc_name = "rows";
        ddoc = rows_ddoc;
        n = load_rows(b, want);
    } else {
        return -1;
    }
    if (n < 0) {
        return n;
    }
    if (v != NULL) {
        char err[256];
        int rc = mock_views_put_ddoc(v, mock_bucket_name(b), ddoc_name, ddoc, strlen(ddoc), err, sizeof(err));
        if (rc != 0) {
            return -2;
        }
    }
    return n;
}
