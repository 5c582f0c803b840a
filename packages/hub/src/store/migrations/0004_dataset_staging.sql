ALTER TABLE "datasets" ADD COLUMN "source" text;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "mover" jsonb;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "shards" integer;--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "staging" jsonb DEFAULT '[]'::jsonb NOT NULL;