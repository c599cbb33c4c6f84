// The handlers every benchmark server mounts: a hello world, and a records endpoint doing what
// a PyAirtable API route typically does per request (build, filter and serialise a page of 100
// Airtable-like records, about 25 KB of JSON).
const fields = ['Name', 'Status', 'Owner', 'Due', 'Notes', 'Priority', 'Estimate', 'Tags'];

function recordsPage(baseId) {
  const records = [];
  for (let index = 0; index < 100; index++) {
    const record = {
      id: `rec${baseId}${String(index).padStart(6, '0')}`,
      createdTime: '2026-11-27T10:30:00.000Z',
      fields: {},
    };
    for (const field of fields) record.fields[field] = `${field} value ${index} for ${baseId}`;
    records.push(record);
  }
  const open = records.filter((record) => !record.fields.Status.endsWith('7'));
  return { records: open, offset: open.length === 100 ? null : open[open.length - 1].id };
}

module.exports = {
  hello: (name) => ({ hello: name }),
  records: (name) => recordsPage(name),
};
