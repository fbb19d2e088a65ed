"""Generates apiserver-core/src/server/protobuf_tables.rs from k8s-pb (tags) and k8s-openapi (JSON names)."""
import glob, os, re, sys

PB = glob.glob(os.path.expanduser('~/.cargo/registry/src/*/k8s-pb-0.9.0/src'))[0]
OA = glob.glob(os.path.expanduser('~/.cargo/registry/src/*/k8s-openapi-0.29.0/src/v1_33'))[0]

SPECIAL = {
    'apimachinery.pkg.apis.meta.v1.Time': 'Time',
    'apimachinery.pkg.apis.meta.v1.MicroTime': 'MicroTime',
    'apimachinery.pkg.util.intstr.IntOrString': 'IntOrString',
    'apimachinery.pkg.api.resource.Quantity': 'Quantity',
    'apimachinery.pkg.runtime.RawExtension': 'RawJson',
    'apimachinery.pkg.apis.meta.v1.FieldsV1': 'RawJson',
}

def modpath(f):
    rel = os.path.relpath(os.path.dirname(f), PB)
    return rel.replace('/', '.')

# 1. Parse k8s-pb structs.
structs = {}  # full -> list of (snake, kind, tag, typ, repeated, mapspec)
for f in glob.glob(PB + '/**/mod.rs', recursive=True):
    mp = modpath(f)
    if mp == '.':
        continue
    src = open(f).read()
    for m in re.finditer(r'pub struct (\w+) \{(.*?)\n\}', src, re.S):
        name, body = m.group(1), m.group(2)
        fields = []
        for chunk in body.split('#[prost(')[1:]:
            attr, rest = chunk.split(')]', 1)
            rest = '\n'.join(l for l in rest.split('\n') if not l.strip().startswith('///') and not l.strip().startswith('#['))
            fm = re.match(r'\s*pub (r#)?(\w+):(.*)$', rest, re.S)
            snake, ty = fm.group(2), re.sub(r'\s+', '', fm.group(3)).rstrip(',')
            tag = int(re.search(r'tag = "(\d+)"', attr).group(1))
            kind = attr.split(',')[0].strip()
            repeated = 'repeated' in attr
            fields.append((snake, kind, tag, ty, repeated, attr))
        structs[mp + '.' + name] = fields

def resolve(mp, ty):
    """Full name of a referenced message type."""
    inner = re.sub(r'^.*?Option<|^.*?Vec<|^.*?Box<', '', ty)
    inner = re.sub(r'>+$', '', inner)
    inner = inner.split('<')[-1]
    parts = inner.split('::')
    base = mp.split('.')
    i = 0
    while i < len(parts) and parts[i] == 'super':
        base = base[:-1]; i += 1
    rest = parts[i:]
    return '.'.join(base + rest)

def map_value(mp, ty):
    m = re.search(r'BTreeMap<[^,]*,(.*?),?>$', ty)
    return resolve(mp, m.group(1))

# 2. JSON names from k8s-openapi: module dir -> struct -> snake -> json
def oa_names(full):
    mp, name = full.rsplit('.', 1)
    d = os.path.join(OA, mp.replace('.', '/'))
    if mp.startswith('apiextensions_apiserver'):
        d = os.path.join(OA, mp.replace('.', '/'))
    if not os.path.isdir(d):
        return None
    for f in glob.glob(d + '/*.rs'):
        src = open(f).read()
        if re.search(r'pub struct %s \{' % name, src, re.I):
            return dict((s, j) for j, s in re.findall(r'"([^"]+)" => Field::Key_(\w+),', src))
    return None

order = []
index = {}
INLINE_NAMES = {}
def want(full, inline_names=None):
    key = full if inline_names is None else full + '@inline:' + str(id(inline_names))
    if key in index:
        return index[key]
    if full in SPECIAL or full not in structs:
        return None
    if inline_names is None and oa_names(full) is None:
        return None
    if inline_names is not None:
        INLINE_NAMES[key] = inline_names
    index[key] = len(order)
    order.append(key)
    return index[key]

out_fields = {}
def build(key):
    full = key.split('@')[0]
    mp = full.rsplit('.', 1)[0]
    names = INLINE_NAMES.get(key) or oa_names(full) or {}
    fields = []
    for snake, kind, tag, ty, repeated, attr in structs[full]:
        json = names.get(snake) or names.get(snake + '_')
        if json is None:
            if kind == 'message' and not repeated:
                v = resolve(mp, ty)
                ok = v in structs and v not in SPECIAL and any(
                    (names.get(f[0]) or names.get(f[0] + '_')) for f in structs[v])
                i = want(v, names) if ok else None
                if i is not None:
                    fields.append((tag, '', 'Inline(%d)' % i, False)); continue
            fields.append((tag, '', 'Ignore', False)); continue
        if kind == 'string': t = 'Str'
        elif kind == 'bool': t = 'Bool'
        elif kind in ('int32', 'int64'): t = 'Int'
        elif kind == 'double': t = 'Ignore'
        elif kind.startswith('bytes'): t = 'Bytes'
        elif kind.startswith('btree_map'):
            spec = re.search(r'btree_map = "string, (\w+)"', attr).group(1)
            if spec == 'string': t = 'MapStr'
            elif spec == 'bytes': t = 'MapBytes'
            else:
                v = map_value(mp, ty)
                if v in SPECIAL: t = 'MapSpecial(Special::%s)' % SPECIAL[v]
                else:
                    i = want(v)
                    t = 'MapMsg(%d)' % i if i is not None else 'Ignore'
        elif kind == 'message':
            v = resolve(mp, ty)
            if v in SPECIAL: t = 'Special(Special::%s)' % SPECIAL[v]
            else:
                i = want(v)
                t = 'Msg(%d)' % i if i is not None else 'Ignore'
        else:
            t = 'Ignore'
        fields.append((tag, json, t, repeated))
    return fields

KINDS = []
for full in sorted(structs):
    parts = full.split('.')
    # top-level kinds: have an ObjectMeta `metadata` field (tag 1) and an openapi struct
    fs = structs[full]
    if not fs or fs[0][0] != 'metadata':
        continue
    if not (parts[0] == 'api' or parts[0] == 'apiextensions_apiserver'):
        continue
    meta_ty = resolve('.'.join(parts[:-1]), fs[0][3])
    if meta_ty != 'apimachinery.pkg.apis.meta.v1.ObjectMeta':
        continue
    if want(full) is None:
        continue
    if parts[0] == 'api':
        key = '%s/%s/%s' % (parts[1], parts[2], parts[3])
    else:
        key = '%s/%s/%s' % (parts[-3], parts[-2], parts[-1])
    KINDS.append((key, index[full]))
# Bodies without ObjectMeta that clients send: DeleteOptions (typed deletes).
for key, full in [('meta/v1/DeleteOptions', 'apimachinery.pkg.apis.meta.v1.DeleteOptions'),
                  ('core/v1/DeleteOptions', 'apimachinery.pkg.apis.meta.v1.DeleteOptions')]:
    i = want(full)
    if i is not None:
        KINDS.append((key, i))
i = 0
while i < len(order):
    out_fields[order[i]] = build(order[i])
    i += 1

lines = ['//! Protobuf descriptor tables of the built-in kinds (tag numbers from Kubernetes\' `generated.proto` via k8s-pb, JSON names from k8s-openapi); generated, do not edit by hand.', '//!', '//! Generated from the sources of the crates k8s-pb 0.9.0 (the `#[prost(…, tag = "N")]`', '//! attributes) and k8s-openapi 0.29 `v1_33` (the JSON names in each type\'s', '//! `Deserialize`), matching types by module and name; fields without a JSON name in', '//! v1.33 are `Ignore`, embedded Go structs `Inline`.', '',
         'use super::protobuf::{Field, Special, Ty};', '',
         '/// Every message, referenced by index from [`Ty::Msg`] and [`Ty::MapMsg`].',
         '#[rustfmt::skip]',
         'pub(super) static MESSAGES: &[&[Field]] = &[']
for full in order:
    lines.append('    // %s' % full.split('@')[0] + (' (inline)' if '@' in full else ''))
    fl = ', '.join('Field::new(%d, "%s", Ty::%s, %s)' % (t, j, ty, 'true' if r else 'false') for t, j, ty, r in out_fields[full])
    lines.append('    &[%s],' % fl)
lines.append('];')
lines.append('')
lines.append('/// Top-level kinds by `<api package>/<version>/<Kind>` (`core/v1/Pod`, `apps/v1/Deployment`).')
lines.append('#[rustfmt::skip]')
lines.append('pub(super) static KINDS: &[(&str, usize)] = &[')
for k, i in KINDS:
    lines.append('    ("%s", %d),' % (k, i))
lines.append('];')
open(sys.argv[1], 'w').write('\n'.join(lines) + '\n')
print(len(order), 'messages', len(KINDS), 'kinds', file=sys.stderr)
