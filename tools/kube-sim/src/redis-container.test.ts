import { describe, expect, it } from 'vitest';
import { isRedisImage } from './redis-container.ts';

describe('isRedisImage', () => {
  it('takes the official and Bitnami Redis images, by any registry and tag', () => {
    for (const image of ['redis', 'redis:7.4-alpine', 'docker.io/library/redis:7', 'bitnami/redis:7.2', 'docker.io/bitnamilegacy/redis:8.2.1-debian-12-r0', 'redis@sha256:0123']) {
      expect(isRedisImage(image), image).toBe(true);
    }
  });

  it('leaves images that only have redis in their name to their command', () => {
    for (const image of ['oliver006/redis_exporter:v1.62.0', 'bitnami/redis-sentinel:7.2', 'bitnami/redis-exporter', 'myredis:1']) {
      expect(isRedisImage(image), image).toBe(false);
    }
  });
});
