/**
 * Seeded synthetic tasks with teachers and verifiers (training spec §6.3): they write the SFT JSONL
 * (OpenAI-style messages) and the RL task JSONL ({@link dev.conclave.training.tasks.RlTask}) that the
 * training commands read.
 */
package dev.conclave.training.tasks;
