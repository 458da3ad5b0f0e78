import { objectUrl } from './s3-object-store.js';

describe('objectUrl', () => {
  const key = 'sha256/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

  it('puts the bucket in the path (MinIO and most S3-compatible servers)', () => {
    expect(objectUrl({ endpoint: 'http://127.0.0.1:9000', bucket: 'evidence', pathStyle: true }, key).href).toBe(`http://127.0.0.1:9000/evidence/${key}`);
    expect(objectUrl({ endpoint: 'https://store.example/s3/', bucket: 'evidence', pathStyle: true }, key).href).toBe(`https://store.example/s3/evidence/${key}`);
  });

  it("puts the bucket in the host name (AWS's virtual-hosted style)", () => {
    expect(objectUrl({ endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'meshfab-evidence', pathStyle: false }, key).href).toBe(
      `https://meshfab-evidence.s3.eu-central-1.amazonaws.com/${key}`,
    );
  });
});
