// Produces 500 messages with kafkajs, then reads them with a consumer group of two members: every message
// must arrive exactly once and both members must take part. BOOTSTRAP and TOPIC come from the environment.
const { Kafka, logLevel } = require('kafkajs');
const topic = process.env.TOPIC || 'kafkajs-compat';
(async () => {
  const kafka = new Kafka({ brokers: [process.env.BOOTSTRAP || '127.0.0.1:9092'], clientId: 'kjs-g', logLevel: logLevel.WARN });
  const admin = kafka.admin(); await admin.connect();
  await admin.createTopics({ topics: [{ topic: topic, numPartitions: 4 }] });
  const producer = kafka.producer(); await producer.connect();
  const messages = Array.from({ length: 500 }, (_, i) => ({ key: 'k' + i, value: 'v' + i }));
  await producer.send({ topic: topic, messages });
  const seen = new Map(); const perMember = [0, 0];
  const consumers = [0, 1].map(() => kafka.consumer({ groupId: topic + '-group', sessionTimeout: 10000, heartbeatInterval: 1000 }));
  for (const [i, c] of consumers.entries()) {
    await c.connect(); await c.subscribe({ topic: topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => { perMember[i]++; const v = message.value.toString(); seen.set(v, (seen.get(v) || 0) + 1); } });
  }
  const deadline = Date.now() + 40000;
  while (seen.size < 500 && Date.now() < deadline) await new Promise(r => setTimeout(r, 200));
  await new Promise(r => setTimeout(r, 2000));
  const dupes = [...seen.values()].filter(n => n > 1).length;
  console.log(JSON.stringify({ unique: seen.size, dupes, perMember }));
  for (const c of consumers) await c.disconnect();
  await producer.disconnect(); await admin.disconnect();
  process.exit(seen.size === 500 && dupes === 0 && perMember.every(n => n > 0) ? 0 : 1);
})().catch(e => { console.error('FAILED', e); process.exit(1); });
