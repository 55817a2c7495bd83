-- CreateTable
CREATE TABLE "ClusterTopology" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "groups" INTEGER NOT NULL,
    "replicas" INTEGER NOT NULL,
    "updatedAt" DATETIME NOT NULL
);
