package api

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/memsvc/memsvc/archival"
	"github.com/memsvc/memsvc/pager"
)

// archivalResults is the answer of an archival search, best first.
type archivalResults struct {
	Results []pager.ArchivalHit `json:"results"`
}

func (s *Server) insertPassage(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	var in pager.PassageInput
	if err := decode(c, s.cfg.BodyLimit, &in); err != nil {
		return err
	}
	p, err := s.mem.InsertPassage(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	p.Tags = nonNil(p.Tags)
	c.Response().Header().Set(echo.HeaderLocation, "/v1/agents/"+url.PathEscape(id)+"/archival/"+url.PathEscape(p.ID))
	return c.JSON(http.StatusCreated, p)
}

// PassageBatch is the body of POST …/archival/batch.
type PassageBatch struct {
	Passages []pager.PassageInput `json:"passages"`
}

// StoredPassages is the answer of POST …/archival/batch: the stored passages, in the order given.
type StoredPassages struct {
	Passages []archival.Passage `json:"passages"`
}

func (s *Server) insertPassages(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	var in PassageBatch
	if err := decode(c, s.cfg.BodyLimit, &in); err != nil {
		return err
	}
	ps, err := s.mem.InsertPassages(c.Request().Context(), id, in.Passages)
	if err != nil {
		return err
	}
	for i := range ps {
		ps[i].Tags = nonNil(ps[i].Tags)
	}
	return c.JSON(http.StatusCreated, StoredPassages{Passages: ps})
}

func (s *Server) getPassage(c echo.Context) error {
	id, pid, err := passageParams(c)
	if err != nil {
		return err
	}
	p, err := s.mem.GetPassage(c.Request().Context(), id, pid)
	if err != nil {
		return err
	}
	p.Tags = nonNil(p.Tags)
	return c.JSON(http.StatusOK, p)
}

func (s *Server) deletePassage(c echo.Context) error {
	id, pid, err := passageParams(c)
	if err != nil {
		return err
	}
	if err := s.mem.DeletePassage(c.Request().Context(), id, pid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) searchArchival(c echo.Context) error {
	id, _, err := agentParam(c)
	if err != nil {
		return err
	}
	var q pager.ArchivalQuery
	if err := decode(c, s.cfg.BodyLimit, &q); err != nil {
		return err
	}
	hits, err := s.mem.SearchArchival(c.Request().Context(), id, q)
	if err != nil {
		return err
	}
	for i := range hits {
		hits[i].Passage.Tags = nonNil(hits[i].Passage.Tags)
	}
	return c.JSON(http.StatusOK, archivalResults{Results: nonNil(hits)})
}

func passageParams(c echo.Context) (agentID, passageID string, err error) {
	if agentID, _, err = agentParam(c); err != nil {
		return "", "", err
	}
	passageID, err = param(c, "passage_id")
	return agentID, passageID, err
}
